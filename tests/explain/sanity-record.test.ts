/**
 * The sanity check travels with the finding: `candor explain --sanity --json --db --pdf` writes it
 * into the JSON, the audit record (read back identical, its hash verified) and the PDF; a record
 * made without it still reads, and its PDF has no sanity section.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainCommand } from '../../electron/cli/commands/explain';
import { AuditStore } from '../../db/audit-store';
import { decodeExplanation, encodeExplanation } from '../../db/finding-codec';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'native-models', 'demo');
const dir = mkdtempSync(join(tmpdir(), 'candor-sanity-record-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await explainCommand([...args, '--config-dir', join(dir, 'config'), '--quiet'], { stdout: () => undefined, stderr: (s) => (err += s) });
  return { code, err };
}

const pdfText = (file: string): string => execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');

test('--sanity: in the JSON, recorded with the finding (identical when read back), and printed in the PDF', async () => {
  const db = join(dir, 'audit.db');
  const json = join(dir, 'out.json');
  const pdf = join(dir, 'finding.pdf');
  const r = await run(['--model', join(DEMO, 'bundle'), '--image', join(DEMO, 'studies', 'demo-01.dcm'), '--text', 'Solitary nodule in the right upper zone.', '--no-metrics', '--sanity', '--json', json, '--pdf', pdf, '--db', db, '--reviewer', 'Dr. Sanity', '--decision', 'agree']);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(Object.keys(out.sanity).sort(), ['image', 'text']);
  for (const side of ['image', 'text']) {
    const c = out.sanity[side];
    assert.equal(c.test, 'mprt');
    assert.deepEqual(c.layers, [5, 4]);
    assert.equal(c.spearman.length, 2);
    assert.equal(c.ssim.length, 2);
    assert.equal(typeof c.passed, 'boolean');
  }
  const store = AuditStore.open(db);
  try {
    const f = store.getFinding(store.list({ limit: 10 }).find((r) => r.findingId)!.findingId!);
    assert.deepEqual(f.explanation.sanity, out.sanity, 'the record holds what the JSON says');
    assert.equal(store.verify().ok, true);
  } finally {
    store.close();
  }
  assert.match(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' }), /Pages:\s+1\n/, 'the finding with its sanity check stays on one page');
  const text = pdfText(pdf);
  assert.match(text, /Sanity check: does the map depend on the model’s learned weights\? \(MPRT\)/);
  assert.match(text, new RegExp(`Image map: passed ρ ${out.sanity.image.spearman.map((v: number) => v.toFixed(3)).join(', ')}; SSIM`));
});

test('a record made before the check (no sanity field) decodes as it was; a sanity check round-trips through both codecs', async () => {
  const old = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
  const base = {
    id: 'x', method: 'nib' as const, params: { layer: 4, steps: 10, target: 'image' as const }, similarity: 0.5, model: { name: 'm', sha256: 'a' }, provider: 'cpu',
    input: { scanSha256: 'b', frame: 1, text: 't', textSha256: 'c' }, image: null, text: null, metrics: {}, timings: {}, warnings: [],
  };
  for (const codec of [1, 2]) {
    const plain = encodeExplanation(base, codec);
    const back = decodeExplanation(plain.body, plain.map, codec);
    assert.equal('sanity' in back, false);
    const withSanity = encodeExplanation({ ...base, sanity: old.sanity }, codec);
    assert.deepEqual(decodeExplanation(withSanity.body, withSanity.map, codec).sanity, old.sanity);
  }
});
