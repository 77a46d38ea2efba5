// Where a tower's one-read temporary file goes (native-models/runtime/scratch-dir.ts): a memory-backed
// folder with room for it, else the system's temporary folder; the folder is private to this user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { memoryBackedCandidates, scratchDir, scratchRoot, type ScratchCandidate } from '../../native-models/runtime/scratch-dir';

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

test('the folder made is private to this user and inside the chosen root', () => {
  const dir = scratchDir('candor-scratch-test-', 1024);
  try {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(dirname(dir), scratchRoot(1024));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
