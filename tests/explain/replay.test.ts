/**
 * Replay: 20 findings recorded with `candor explain --db` on the demo model (every method, method
 * settings, layers, steps, a window, letterbox, each target, NIB at int8) are run again from their records and
 * match; another model or a changed scan is named as such; a record whose map is not what the
 * model gives is caught. And the premise: onnxruntime on the CPU is bit-identical run to run and
 * across intra-op thread counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { explainCommand } from '../../electron/cli/commands/explain';
import { auditCommand } from '../../electron/cli/commands/audit';
import { AuditStore } from '../../db/audit-store';
import { loadClipBundle } from '../../native-models/clip/bundle';
import { loadScan } from '../../electron/imaging/index';
import { replayFinding } from '../../electron/services/replay';
import { installationKey } from '../../db/installation-key';
import { installationPaths } from '../../db/installation';
import { MINI } from '../clip/helpers';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'native-models', 'demo');
const BUNDLE = join(DEMO, 'bundle');
const study = (n: number) => join(DEMO, 'studies', `demo-0${n}.dcm`);
const report = (n: number) => join(DEMO, 'studies', `demo-0${n}.report.txt`);
const dir = mkdtempSync(join(tmpdir(), 'candor-replay-'));
const config = join(dir, 'config');
const db = join(dir, 'audit.db');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const io = () => {
  const r = { out: '', err: '' };
  return { r, io: { stdout: (s: string) => (r.out += s), stderr: (s: string) => (r.err += s) } };
};

/** Settings in turn over the five studies: 20 findings. */
const SETTINGS: string[][] = [
  ['--method', 'nib'],
  ['--method', 'nib', '--layer', '2', '--steps', '6', '--letterbox'],
  ['--method', 'm2ib', '--beta', '0.3', '--iterations', '4', '--batch', '4'],
  ['--method', 'rise', '--masks', '60', '--text-masks', '40', '--seed', '7'],
  ['--method', 'gradcam', '--window', '2000,3000'],
  ['--method', 'saliency', '--target', 'image'],
  ['--method', 'ig', '--steps', '4', '--target', 'text'],
  ['--method', 'nib', '--target', 'image', '--steps', '3'],
  ['--method', 'nib', '--precision', 'int8'],
];

test('intra-op threads 1, 2 and 4 give bit-identical outputs on the demo towers (the premise of replay)', async () => {
  for (const tower of ['vision_model', 'text_model']) {
    const file = join(BUNDLE, 'onnx', `${tower}.onnx`);
    const outputs: string[] = [];
    for (const threads of [1, 2, 4, 1]) {
      const s = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, executionMode: 'sequential', graphOptimizationLevel: 'all' });
      type Meta = { type?: string; shape?: readonly (number | string)[] };
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, name] of s.inputNames.entries()) {
        const m = s.inputMetadata[k] as Meta;
        const shape = (m.shape ?? [1]).map((d) => (typeof d === 'number' ? d : 1));
        const n = shape.reduce((a, b) => a * b, 1);
        feeds[name] = m.type === 'float32' ? new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)), shape) : new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7) % 40)), shape);
      }
      const out = await s.run(feeds);
      outputs.push(Object.values(out).map((t) => Buffer.from((t.data as Float32Array).buffer).toString('base64')).join('|'));
      await s.release();
    }
    assert.ok(outputs.every((o) => o === outputs[0]), `${tower}: outputs differ between thread counts`);
  }
});

test('20 findings recorded with candor explain --db on the demo model replay within tolerance (bit for bit on this machine)', async () => {
  const seqs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const n = (i % 5) + 1;
    const { r, io: sink } = io();
    const code = await explainCommand(['--model', BUNDLE, '--image', study(n), '--report', report(n), ...SETTINGS[i % SETTINGS.length]!, '--no-metrics', '--quiet', '--db', db, '--reviewer', 'Dr. Replay', '--decision', 'agree', '--config-dir', config], sink);
    assert.equal(code, 0, r.err);
    seqs.push(Number(/as audit event (\d+)/.exec(r.err)![1]));
  }
  const store = AuditStore.open(db, { readOnly: true });
  const bundle = await loadClipBundle(BUNDLE, { prefer: 'cpu' });
  const scans = await Promise.all([1, 2, 3, 4, 5].map((n) => loadScan(study(n))));
  try {
    const methods = new Set<string>();
    for (const seq of seqs) {
      const finding = store.getFinding(store.findingIdAt(seq));
      methods.add(finding.explanation.method);
      const scan = scans.find((s) => s.summary.sha256 === finding.explanation.input.scanSha256)!;
      const rep = await replayFinding(finding, { bundle, scan });
      assert.equal(rep.outcome, 'reproduced', `#${seq} ${finding.explanation.method} ${JSON.stringify(finding.explanation.params)}: ${rep.message}`);
      assert.deepEqual(rep.paramDifferences, []);
      // Bit for bit on the machine that recorded them (what the thread test above shows).
      assert.equal(rep.bitIdentical, true, rep.message);
    }
    assert.deepEqual([...methods].sort(), ['gradcam', 'ig', 'm2ib', 'nib', 'rise', 'saliency']);
  } finally {
    await bundle.dispose();
    store.close();
  }
  // And through the CLI, as an auditor runs it.
  const { r, io: sink } = io();
  const code = await auditCommand(['replay', '--db', db, '--seq', String(seqs[3]), '--scan', study(4), '--model', BUNDLE, '--config-dir', config], sink);
  assert.equal(code, 0, r.out + r.err);
  assert.match(r.out, /^similarity +1 value\(s\), largest difference 0\.00e\+0 \(tolerance 1\.0e-5\) ok$/m);
  assert.match(r.out, /reproduced: finding #\d+ \(rise\) matches its record bit for bit/);
});

test('replay with another model or a changed scan fails with exit 5, naming which', async () => {
  const store = AuditStore.open(db, { readOnly: true });
  const seq = store.list({ limit: 1 })[0]!.seq;
  const sha = store.getFinding(store.findingIdAt(seq)).explanation.input.scanSha256;
  store.close();
  const scans = await Promise.all([1, 2, 3, 4, 5].map(async (n) => ({ n, sha: (await loadScan(study(n))).summary.sha256 })));
  const n = scans.find((s) => s.sha === sha)!.n;

  const { r: m, io: ioModel } = io();
  assert.equal(await auditCommand(['replay', '--db', db, '--seq', String(seq), '--scan', study(n), '--model', MINI, '--config-dir', config], ioModel), 5, m.out + m.err);
  assert.match(m.out, /not replayed: model SHA mismatch: the model at hand \(mini-clip, SHA-256 [0-9a-f]{12}…\) is not the recorded one \(candor\/demo-clip/);
  assert.doesNotMatch(m.out, /scan SHA mismatch/);

  // The same DICOM with one pixel value changed (the last bytes of the file are pixel data).
  const changed = join(dir, 'changed.dcm');
  copyFileSync(study(n), changed);
  const bytes = readFileSync(changed);
  bytes[bytes.length - 2] ^= 0x01;
  writeFileSync(changed, bytes);
  const { r: s, io: ioScan } = io();
  assert.equal(await auditCommand(['replay', '--db', db, '--seq', String(seq), '--scan', changed, '--model', BUNDLE, '--config-dir', config], ioScan), 5, s.out + s.err);
  assert.match(s.out, /not replayed: scan SHA mismatch: the scan at hand \(changed\.dcm, SHA-256 [0-9a-f]{12}…\) is not the recorded one/);
  assert.doesNotMatch(s.out, /model SHA mismatch/);
});

test('a record whose map is not what the model gives (fabricated when recorded) differs: exit 1, the part named', async () => {
  const scan = await loadScan(study(2));
  const bundle = await loadClipBundle(BUNDLE, { prefer: 'cpu' });
  const { explain } = await import('../../native-models/explain/index');
  const { completeExplanation, findingInput, scanImageFor } = await import('../../electron/services/explanations');
  const pixels = await scan.frame(1);
  const image = scanImageFor(scan.summary, pixels, null);
  const text = readFileSync(report(2), 'utf8');
  const core = await explain(bundle, image, text, { method: 'nib', target: 'both', metrics: false });
  await bundle.dispose();
  const e = completeExplanation(core, scan.summary, 1, text, image.window);
  // What a forger records: the model's output with the map moved to where it "should" be.
  const map = e.image!.map;
  const shifted = new Float32Array(map.values.length);
  for (let i = 0; i < shifted.length; i++) shifted[i] = map.values[(i + 40) % shifted.length]!;
  e.image = { ...e.image!, map: { ...map, values: shifted } };
  const forged = join(dir, 'forged.db');
  const store = AuditStore.open(forged, { signingKey: installationKey(installationPaths(config)).key });
  const rec = store.recordFinding(findingInput({ explanation: e, summary: scan.summary, reviewer: 'Dr. Forger', decision: 'agree', note: '', studyLabel: null, appVersion: 'test', storeIdentifying: false }));
  store.close();
  const { r, io: sink } = io();
  assert.equal(await auditCommand(['replay', '--db', forged, '--seq', String(rec.seq), '--scan', study(2), '--model', BUNDLE, '--config-dir', config], sink), 1, r.out + r.err);
  assert.match(r.out, /^map +\d+ value\(s\), largest difference [\d.e+-]+ \(tolerance 1\.0e-3\) BEYOND TOLERANCE$/m);
  assert.match(r.out, /DIFFERS: finding #2 \(nib\): map differs by up to/);
  assert.doesNotMatch(r.out, /similarity .*BEYOND/);
});
