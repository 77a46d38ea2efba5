// NIB at int8 (opt-in): close to fp32 on every demo study, recorded in the explanation, cached
// apart from the fp32 graphs (which stay exactly as they were), refused where it does not apply.
//
// The floors are set from the measured agreement on the demo model (npm run bench precision, AMD EPYC
// with AVX-512 VNNI): patch and map Spearman ≥ 0.9996, the top word the same in every study, the
// largest word-score difference ≤ 0.9 % of fp32's largest score, normalized word scores within 0.066;
// with the 7-bit weights of CPUs without VNNI (measured by forcing them here) ≥ 0.9996, ≤ 1.3 % and
// 0.051. The integer sums are exact on every CPU (no 16-bit overflow at those widths), so another
// machine differs only by float rounding. The floors still fail what loses more: onnxruntime's
// DynamicQuantizeMatMul (one activation step per tensor) gave ρ 0.985–0.993 and word differences of
// 3–11 %; weights kept to 3 bits, ρ 0.04–0.96 and 53–91 %.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClipBundle, type ClipBundle } from '../../native-models/clip/bundle';
import { explain, ExplainError } from '../../native-models/explain/index';
import { nibGradient } from '../../native-models/explain/nib-graph';
import { GraphCache } from '../../native-models/runtime/graph-cache';
import { int8Units } from '../../native-models/runtime/int8-units';
import { ExplainRequestSchema } from '../../electron/api/contract';
import { explainCommand } from '../../electron/cli/commands/explain';
import { DEMO_BUNDLE } from './bypassed-bundle';
import { agreement, demoStudies, explainAt, type StudyInput } from './precision-agreement';
import { testTempDir } from '../temp-dir';
import { join } from 'node:path';
import { STUDIES_DIR } from '../../native-models/demo/studies';

const FLOOR = { spearman: 0.995, wordRawRelative: 0.03, wordNorm: 0.15 };

let bundle: ClipBundle;
let studies: StudyInput[];
let cacheDir: string;
before(async () => {
  cacheDir = testTempDir('candor-int8-cache-');
  bundle = await loadClipBundle(DEMO_BUNDLE, { prefer: 'cpu', graphCache: new GraphCache(cacheDir, { candorVersion: 'test' }) });
  studies = await demoStudies();
});
after(() => bundle.dispose());

test('int8 NIB agrees with fp32 on every demo study (image map ranks, word scores, top word), and records its precision', async () => {
  for (const s of studies) {
    const fp32 = await explainAt(bundle, s, 'fp32');
    const int8 = await explainAt(bundle, s, 'int8');
    const a = agreement(fp32, int8);
    const at = `${s.id}: ${JSON.stringify(a)}`;
    assert.ok(a.patchSpearman >= FLOOR.spearman && a.mapSpearman >= FLOOR.spearman, at);
    assert.ok(a.wordRawRelative <= FLOOR.wordRawRelative && a.wordNormMax <= FLOOR.wordNorm, at);
    assert.ok(a.topWordSame, at);
    // Really another computation: an int8 run that fell back to the fp32 graph would agree exactly.
    assert.ok(a.wordRawMax > 0 && a.patchSpearman < 1, `${at}: int8 equals fp32`);
    assert.equal(int8.params.precision, 'int8');
    assert.equal(int8.params['int8.weightBits'], int8Units().weightBits);
    assert.equal('precision' in fp32.params, false, 'fp32 is not written: records made before the setting read the same');
  }
});

test('the fp32 graphs stay as they were: after int8 ran, fp32 gives bit for bit what it gave before; the int8 graphs are cached under their own key', async () => {
  const fresh = await loadClipBundle(DEMO_BUNDLE, { prefer: 'cpu' });
  try {
    const before = await explainAt(fresh, studies[0], 'fp32');
    await explainAt(fresh, studies[0], 'int8');
    const again = await explain(fresh, studies[0].image, studies[0].text, { method: 'nib', target: 'both', metrics: false });
    assert.deepEqual(again.image!.tokenScores, before.image!.tokenScores);
    assert.deepEqual(again.text!.tokens.map((t) => t.raw), before.text!.tokens.map((t) => t.raw));
    const [f, q] = [await nibGradient(fresh, 'vision', 1), await nibGradient(fresh, 'vision', 1, 'int8')];
    assert.notEqual(f.session, q.session);
  } finally {
    await fresh.dispose();
  }
  // The first test's bundle stored both precisions: a new process finds each (2 towers × 2 precisions).
  await bundle.graphCache!.flush();
  const cache = new GraphCache(cacheDir, { candorVersion: 'test' });
  const reloaded = await loadClipBundle(DEMO_BUNDLE, { prefer: 'cpu', graphCache: cache });
  try {
    const fromDisk = await explainAt(reloaded, studies[1], 'int8');
    const derived = await explainAt(bundle, studies[1], 'int8');
    assert.deepEqual(fromDisk.image!.tokenScores, derived.image!.tokenScores, 'the cached int8 graph is the derived one');
    await explainAt(reloaded, studies[1], 'fp32');
    assert.equal(cache.stats.hits, 4, JSON.stringify(cache.stats));
    assert.equal(cache.stats.written, 0, JSON.stringify(cache.stats));
  } finally {
    await reloaded.dispose();
  }
});

async function explainCommandRun(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await explainCommand(args, { stdout: (t) => out.push(t), stderr: (t) => out.push(t) });
  return { code, out: out.join('') };
}

test('a precision that does not exist, or int8 for a method without it, is a clear error at every door; the CLI records --precision int8', async () => {
  const s = studies[0];
  await assert.rejects(explain(bundle, s.image, s.text, { method: 'nib', target: 'both', precision: 'int4' as never }), (e: unknown) => e instanceof ExplainError && /unknown precision "int4" \(choose one of fp32, int8\)/.test(e.message));
  await assert.rejects(explain(bundle, s.image, s.text, { method: 'gradcam', target: 'both', precision: 'int8' }), (e: unknown) => e instanceof ExplainError && /Grad-CAM runs in fp32 only, not int8/.test(e.message));
  const bad = ExplainRequestSchema.safeParse({ scanId: 'x', text: 'a', precision: 'int4' });
  assert.equal(bad.success, false);
  assert.equal(ExplainRequestSchema.parse({ scanId: 'x', text: 'a' }).precision, 'fp32', 'the contract defaults to fp32');
  const run = (args: string[]) => explainCommandRun(['--model', DEMO_BUNDLE, '--image', 'x.png', '--text', 'a', ...args]);
  const int4 = await run(['--precision', 'int4']);
  assert.equal(int4.code, 2, int4.out);
  assert.match(int4.out, /--precision must be fp32 or int8 \(got "int4"\)/);
  const m2ib = await run(['--method', 'm2ib', '--precision', 'int8']);
  assert.equal(m2ib.code, 2, m2ib.out);
  assert.match(m2ib.out, /--precision int8: M2IB runs in fp32 only/);
  const scan = join(STUDIES_DIR, 'demo-01.dcm');
  const ok = await explainCommandRun(['--model', DEMO_BUNDLE, '--image', scan, '--text', 'Solitary nodule in the right upper zone.', '--precision', 'int8', '--target', 'image', '--no-metrics', '--quiet', '--prefer', 'cpu', '--json', '-', '--config-dir', testTempDir('candor-int8-cli-')]);
  assert.equal(ok.code, 0, ok.out);
  const json = JSON.parse(ok.out) as { params: Record<string, unknown> };
  assert.equal(json.params.precision, 'int8', 'the CLI records the precision in the explanation');
  const help = await run(['--help']);
  assert.match(help.out, /--precision fp32\|int8 \(default fp32; NIB only\): int8 = .*faster only on CPUs with integer dot-product units \(AVX-512 VNNI, AMX\)/);
});
