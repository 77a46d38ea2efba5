// `candor explain --json` on every reference case (case PNG through our own preprocessing): similarity,
// raw patch and token scores, the map and normalized token scores match the PyTorch float64 reference
// within each case's tolerances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainCommand } from '../../electron/cli/commands/explain';
import { CASES, MINI, REF, maxAbsDiff, readCase } from '../clip/helpers';

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

const dir = mkdtempSync(join(tmpdir(), 'candor-explain-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

for (const name of CASES) {
  test(`candor explain --json ${name} matches the reference`, async () => {
    const c = readCase(name);
    const out = join(dir, `${name}.json`);
    const r = io();
    const withMetrics = name === 'case03';
    const code = await explainCommand(
      ['--model', MINI, '--image', join(REF, c.image), '--text', c.text, '--layer', String(c.layer), '--steps', String(c.steps), '--json', out, ...(withMetrics ? [] : ['--no-metrics'])],
      r.io,
    );
    assert.equal(code, 0, r.err.join(''));
    const j = JSON.parse(readFileSync(out, 'utf8')) as CliJson;
    const ref = c.float64;
    assert.ok(Math.abs(j.similarity - ref.similarity) <= (c.tolerances.similarity_abs as number));
    assert.ok(maxAbsDiff(j.image.tokenScores, ref.image.patch_scores_raw) <= (c.tolerances.image_patch_scores_raw_abs as number));
    assert.ok(maxAbsDiff(j.text.tokens.map((t) => t.raw), ref.text.token_scores_raw) <= (c.tolerances.text_token_scores_raw_abs as number));
    assert.deepEqual(j.text.tokens.map((t) => t.text), c.tokens.map((t) => t.text));
    assert.deepEqual(j.text.tokens.map((t) => [t.start, t.end]), c.tokens.map((t) => [t.start, t.end]));
    assert.deepEqual([j.image.map.width, j.image.map.height, j.image.map.values.length], [64, 64, 4096]);
    if (c.tolerances.image_map_abs !== null) {
      const d = maxAbsDiff(j.image.map.values, ref.image.map);
      assert.ok(d <= (c.tolerances.image_map_abs as number), `map differs by ${d}`);
    }
    if (c.tolerances.text_token_scores_abs !== null) {
      const d = maxAbsDiff(j.text.tokens.map((t) => t.normalized), ref.text.token_scores);
      assert.ok(d <= (c.tolerances.text_token_scores_abs as number), `normalized token scores differ by ${d}`);
    }
    assert.deepEqual([j.params.layer, j.params.steps], [c.layer, c.steps]);
    assert.match(j.model.sha256, /^[0-9a-f]{64}$/);
    assert.equal(j.provider, 'cpu');
    assert.ok(j.timings.totalMs > 0);
    assert.ok(r.err.join('').includes('100%'), 'a progress bar on stderr');
    if (withMetrics) {
      for (const k of ['vdrop', 'vincr', 'tdrop', 'tincr', 'deletionAuc', 'insertionAuc']) assert.ok(Number.isFinite(j.metrics[k]), `metric ${k}`);
    }
  });
}

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
