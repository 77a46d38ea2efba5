// Where a tower's one-read temporary file goes (native-models/runtime/scratch-dir.ts): a memory-backed
// folder with room for it, else (or where that fails) the system's temporary folder; private to this user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { memoryBackedCandidates, scratchRoot, writeScratchFile, type ScratchCandidate } from '../../native-models/runtime/scratch-dir';
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

test('the file is written whole, in order, into a new folder only this user can read, under the chosen root', () => {
  const pieces = [Buffer.from('ab'), Buffer.alloc(70_000, 7), Buffer.from('yz')];
  const out = writeScratchFile('candor-scratch-test-', 'model.onnx', pieces);
  assert.ok(out);
  try {
    assert.ok(readFileSync(out.file).equals(Buffer.concat(pieces)));
    assert.equal(statSync(out.dir).mode & 0o777, 0o700);
    assert.equal(statSync(out.file).mode & 0o777, 0o600);
    assert.equal(dirname(out.dir), scratchRoot(70_004));
  } finally {
    rmSync(out.dir, { recursive: true, force: true });
  }
});

test('a memory-backed folder that cannot take the file falls back to the system temporary folder and leaves nothing behind', () => {
  const gone = join(testTempDir('candor-scratch-gone-'), 'not-there');
  const out = writeScratchFile('candor-scratch-test-', 'model.onnx', [Buffer.from('abc')], [{ dir: gone, type: TMPFS, available: 8 * GiB }]);
  assert.ok(out);
  try {
    assert.equal(dirname(out.dir), tmpdir());
    assert.equal(readFileSync(out.file, 'utf8'), 'abc');
    assert.ok(!existsSync(gone), 'nothing made where it failed');
  } finally {
    rmSync(out.dir, { recursive: true, force: true });
  }
});
