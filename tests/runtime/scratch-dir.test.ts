// Where a tower's temporary files go (native-models/runtime/scratch-dir.ts): a memory-backed
// folder with room for it, else (or where that fails) the system's temporary folder; private to this user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { memoryBackedCandidates, removeScratch, scratchRoot, sweepStale, writeScratchFiles, type ScratchCandidate } from '../../native-models/runtime/scratch-dir';
import { testTempDir } from '../temp-dir';

const TMPFS = 0x01021994;
const EXT4 = 0xef53;
const GiB = 1024 ** 3;

test('a memory-backed folder with room is chosen, in the order given', () => {
  const c: ScratchCandidate[] = [{ dir: '/run/user/1000', type: TMPFS, available: 8 * GiB }, { dir: '/dev/shm', type: TMPFS, available: 8 * GiB }];
  assert.equal(scratchRoot(352e6, c), '/run/user/1000');
});

test('a folder that is not memory-backed, or too small for the file with its margin, is passed over', () => {
  const small: ScratchCandidate = { dir: '/run/user/1000', type: TMPFS, available: 500e6 };
  const disk: ScratchCandidate = { dir: '/var/tmp', type: EXT4, available: 100 * GiB };
  const shm: ScratchCandidate = { dir: '/dev/shm', type: TMPFS, available: 8 * GiB };
  // 352 MB needs 352 × 1.25 + 256 MiB ≈ 708 MB free.
  assert.equal(scratchRoot(352e6, [small, disk, shm]), '/dev/shm');
  assert.equal(scratchRoot(352e6, [small, disk]), tmpdir());
  assert.equal(scratchRoot(100e6, [small, disk]), '/run/user/1000');
  assert.equal(scratchRoot(352e6, []), tmpdir());
});

test('the candidates are what statfs reports of the runtime folder and /dev/shm (Linux)', { skip: process.platform !== 'linux' }, () => {
  const found = memoryBackedCandidates({ XDG_RUNTIME_DIR: '/nonexistent-candor-runtime' });
  assert.ok(!found.some((c) => c.dir === '/nonexistent-candor-runtime'), 'a folder statfs cannot read is no candidate');
  const shm = found.find((c) => c.dir === '/dev/shm');
  if (existsSync('/dev/shm')) {
    assert.ok(shm, '/dev/shm is a candidate where it exists');
    assert.ok(shm.available > 0);
  }
});

const at0 = (bytes: Uint8Array): { at: number; bytes: Uint8Array } => ({ at: 0, bytes });

test('each file is written whole, each piece at its offset, into a new folder only this user can read, under the chosen root', () => {
  const weights = [{ at: 0, bytes: Buffer.from('ab') }, { at: 4096, bytes: Buffer.alloc(70_000, 7) }, { at: 4096 + 73_728, bytes: Buffer.from('yz') }];
  const out = writeScratchFiles('candor-scratch-test-', [{ name: 'model.onnx', pieces: [at0(Buffer.from('graph'))] }, { name: 'weights.bin', pieces: weights }]);
  assert.ok(out);
  try {
    assert.deepEqual(out.paths, [join(out.dir, 'model.onnx'), join(out.dir, 'weights.bin')]);
    assert.equal(readFileSync(out.paths[0], 'utf8'), 'graph');
    const back = readFileSync(out.paths[1]);
    assert.equal(back.byteLength, 4096 + 73_728 + 2);
    for (const p of weights) assert.ok(back.subarray(p.at, p.at + p.bytes.byteLength).equals(p.bytes), `piece at ${p.at}`);
    assert.ok(back.subarray(2, 4096).every((b) => b === 0), 'the gap between pieces reads as zeros');
    assert.equal(statSync(out.dir).mode & 0o777, 0o700);
    for (const f of out.paths) assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(dirname(out.dir), scratchRoot(5 + 4096 + 73_730));
  } finally {
    assert.equal(removeScratch(out.dir), true);
  }
  assert.ok(!existsSync(out.dir), 'removed');
  assert.equal(removeScratch(out.dir), true, 'already gone: nothing left to remove');
});

test('a memory-backed folder that cannot take the files falls back to the system temporary folder and leaves nothing behind', () => {
  const gone = join(testTempDir('candor-scratch-gone-'), 'not-there');
  const out = writeScratchFiles('candor-scratch-test-', [{ name: 'model.onnx', pieces: [at0(Buffer.from('abc'))] }], [{ dir: gone, type: TMPFS, available: 8 * GiB }]);
  assert.ok(out);
  try {
    assert.equal(dirname(out.dir), tmpdir());
    assert.equal(readFileSync(out.paths[0], 'utf8'), 'abc');
    assert.ok(!existsSync(gone), 'nothing made where it failed');
  } finally {
    rmSync(out.dir, { recursive: true, force: true });
  }
});

test('folders of the prefix left a day ago or more are swept; newer ones, and other names, are kept', () => {
  const root = testTempDir('candor-scratch-sweep-');
  const day = 24 * 3600_000;
  const now = Date.now();
  const made = (name: string, ageMs: number): string => {
    const d = join(root, name);
    mkdirSync(d);
    writeFileSync(join(d, 'weights.bin'), 'x');
    const t = new Date(now - ageMs);
    utimesSync(d, t, t);
    return d;
  };
  const old = made('candor-tower-old', day + 60_000);
  const fresh = made('candor-tower-fresh', day - 60_000);
  const other = made('someone-else-old', 3 * day);
  sweepStale(root, 'candor-tower-', now);
  assert.ok(!existsSync(old), 'a day-old scratch folder is removed');
  assert.ok(existsSync(fresh), 'a newer one may be in use: kept');
  assert.ok(existsSync(other), 'not ours: kept');
  sweepStale(join(root, 'no-such-folder'), 'candor-tower-', now); // an unreadable root: no error
});
