// `candor explain --json` on every reference case (case PNG through our own preprocessing), with the
// NIB steps in batches of 1, 7 and 16 (--batch): similarity, raw patch and token scores, the map and
// normalized token scores match the PyTorch float64 reference within each case's tolerances; and
// with 20 steps (> 16) the independent one-step-at-a-time oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explainCommand } from '../../electron/cli/commands/explain';
import { CASES, MINI, REF, maxAbsDiff, readCase, type RefCase } from '../clip/helpers';
import { assertEvenStepsGiveReference, assertMatchesReference, oracleNib } from './reference';
import { testTempDir } from '../temp-dir';

interface CliJson {
  similarity: number;
  image: { grid: [number, number]; tokenScores: number[]; map: { width: number; height: number; values: number[] } };
  text: { tokens: { text: string; start: number | null; end: number | null; raw: number; normalized: number }[]; words: { text: string; raw: number }[] };
  metrics: Record<string, number>;
  params: { layer: number; steps: number };
  model: { sha256: string };
  provider: string;
  timings: Record<string, number>;
}

function io(): { out: string[]; err: string[]; io: { stdout: (s: string) => void; stderr: (s: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s) => out.push(s), stderr: (s) => err.push(s) } };
}

const dir = testTempDir('candor-explain-cli-');
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function cliNib(c: RefCase, steps: number, batch: number, metrics: boolean): Promise<{ j: CliJson; stderr: string }> {
  const out = join(dir, `${c.case}-${steps}-${batch}.json`);
  const r = io();
  const code = await explainCommand(
    ['--model', MINI, '--image', join(REF, c.image), '--text', c.text, '--layer', String(c.layer), '--steps', String(steps), '--batch', String(batch), '--json', out, ...(metrics ? [] : ['--no-metrics'])],
    r.io,
  );
  assert.equal(code, 0, r.err.join(''));
  return { j: JSON.parse(readFileSync(out, 'utf8')) as CliJson, stderr: r.err.join('') };
}

const output = (j: CliJson) => ({
  similarity: j.similarity, patch: j.image.tokenScores, tokens: j.text.tokens.map((t) => t.raw), map: j.image.map.values, normalizedTokens: j.text.tokens.map((t) => t.normalized),
});

for (const name of CASES) {
  test(`candor explain --json ${name} matches the reference (--batch 1, 7, 16)`, async () => {
    const c = readCase(name);
    for (const batch of [1, 7, 16]) {
      const withMetrics = name === 'case03' && batch === 16;
      const { j, stderr } = await cliNib(c, c.steps, batch, withMetrics);
      assertMatchesReference(output(j), c, `${name} --batch ${batch}`);
      assert.deepEqual(j.text.tokens.map((t) => t.text), c.tokens.map((t) => t.text));
      assert.deepEqual(j.text.tokens.map((t) => [t.start, t.end]), c.tokens.map((t) => [t.start, t.end]));
      assert.deepEqual([j.image.map.width, j.image.map.height, j.image.map.values.length], [64, 64, 4096]);
      assert.deepEqual([j.params.layer, j.params.steps], [c.layer, c.steps]);
      assert.match(j.model.sha256, /^[0-9a-f]{64}$/);
      assert.equal(j.provider, 'cpu');
      assert.ok(j.timings.totalMs > 0);
      assert.ok(stderr.includes('100%'), 'a progress bar on stderr');
      if (withMetrics) {
        for (const k of ['vdrop', 'vincr', 'tdrop', 'tincr', 'deletionAuc', 'insertionAuc']) assert.ok(Number.isFinite(j.metrics[k]), `metric ${k}`);
      }
    }
  });
}

test('candor explain --no-curves: the same four confidence metrics as with the curves, and no curve areas', async () => {
  const c = readCase('case03');
  const run = async (extra: string[], tag: string): Promise<CliJson> => {
    const out = join(dir, `curves-${tag}.json`);
    const r = io();
    const code = await explainCommand(['--model', MINI, '--image', join(REF, c.image), '--text', c.text, '--layer', String(c.layer), '--steps', String(c.steps), '--quiet', '--json', out, ...extra], r.io);
    assert.equal(code, 0, r.err.join(''));
    return JSON.parse(readFileSync(out, 'utf8')) as CliJson;
  };
  const full = await run([], 'full');
  const quick = await run(['--no-curves'], 'quick');
  assert.deepEqual(Object.keys(quick.metrics).sort(), ['tdrop', 'tincr', 'vdrop', 'vincr']);
  // Not bit for bit: a quick run's towers do not pre-pack their weights (sessionPacking), which moves the float rounding.
  for (const k of ['vdrop', 'vincr', 'tdrop', 'tincr']) assert.ok(Math.abs(quick.metrics[k] - full.metrics[k]) <= 1e-4, `${k}: ${quick.metrics[k]} against ${full.metrics[k]}`);
  assert.ok(Number.isFinite(full.metrics.deletionAuc) && Number.isFinite(full.metrics.insertionAuc));
  const scale = Math.max(...full.image.tokenScores.map(Math.abs));
  assert.ok(maxAbsDiff(quick.image.tokenScores, full.image.tokenScores) <= 1e-6 * scale, 'the map does not depend on the metrics');
});

test('candor explain --json with 20 steps (> 16) equals the one-step-at-a-time oracle (--batch 7 and 16)', async () => {
  const c = readCase('case03');
  const o = await oracleNib(c, 20);
  assertEvenStepsGiveReference(o, c);
  for (const batch of [7, 16]) {
    const { j } = await cliNib(c, 20, batch, false);
    assert.equal(j.params.steps, 20);
    const dp = maxAbsDiff(j.image.tokenScores, o.vision.scores.slice(1));
    assert.ok(dp <= (c.tolerances.image_patch_scores_raw_abs as number), `--batch ${batch}: patch scores differ from the oracle by ${dp}`);
    const dt = maxAbsDiff(j.text.tokens.map((t) => t.raw), o.text.scores);
    assert.ok(dt <= (c.tolerances.text_token_scores_raw_abs as number), `--batch ${batch}: token scores differ from the oracle by ${dt}`);
  }
});

test('candor explain: usage errors exit 2 with a message', async () => {
  const r = io();
  assert.equal(await explainCommand(['--image', 'x.png', '--text', 'a'], r.io), 2);
  assert.match(r.err.join(''), /--model DIR is required/);
  const r2 = io();
  assert.equal(await explainCommand(['--model', MINI, '--image', join(REF, 'case01.png'), '--text', 'a', '--method', 'magic'], r2.io), 2);
  assert.match(r2.err.join(''), /--method must be one of/);
  const r3 = io();
  assert.equal(await explainCommand(['--model', MINI, '--image', join(REF, 'case01.png'), '--text', '   '], r3.io), 2);
  assert.match(r3.err.join(''), /empty/);
});

test('candor explain: a layer out of range and a missing image are clear errors', async () => {
  const r = io();
  assert.equal(await explainCommand(['--model', MINI, '--image', join(REF, 'case01.png'), '--text', 'nodule', '--layer', '9'], r.io), 1);
  assert.match(r.err.join(''), /layer 9 is out of range.*0–3/);
  const r2 = io();
  assert.equal(await explainCommand(['--model', MINI, '--image', join(dir, 'nope.png'), '--text', 'nodule'], r2.io), 1);
  assert.match(r2.err.join(''), /nope\.png/);
});

/** Descriptors this process holds on a tower's weights (kept open while a bundle is loaded). */
function openTowerWeights(): string[] {
  if (process.platform !== 'linux') return [];
  return readdirSync('/proc/self/fd')
    .map((n) => {
      try {
        return readlinkSync(join('/proc/self/fd', n));
      } catch {
        return '';
      }
    })
    .filter((l) => /candor-tower-[^/]+\/weights\.bin/.test(l));
}

test('candor explain: the scan is decoded while the model loads, and its error still comes first, with the model released', async () => {
  const bad = join(dir, 'broken.png');
  writeFileSync(bad, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]));
  const before = openTowerWeights().length;
  const r = io();
  assert.equal(await explainCommand(['--model', MINI, '--image', bad, '--text', 'nodule', '--quiet', '--config-dir', dir], r.io), 1);
  assert.match(r.err.join(''), /broken\.png/);
  assert.equal(openTowerWeights().length, before, 'the model loaded meanwhile is released');
  const r2 = io();
  assert.equal(await explainCommand(['--model', join(dir, 'no-model'), '--image', bad, '--text', 'nodule', '--quiet', '--config-dir', dir], r2.io), 1);
  assert.match(r2.err.join(''), /broken\.png/, 'with both broken, the scan is named, as before the model loads');
  assert.doesNotMatch(r2.err.join(''), /no-model/);
});
