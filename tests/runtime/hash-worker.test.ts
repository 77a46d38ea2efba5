// SHA-256 on a worker thread: the same digest as node:crypto on this thread, for bytes in shared
// memory (hashed where they lie, also while they are being filled), for ordinary bytes (hashed here)
// and for a file; a missing file or a filling that stops is an error, not a hang. The threads are kept for later jobs: more jobs than threads queue, a failed
// job leaves the threads usable, and idle threads never keep a process from ending.
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha256OffThread, hashWhileFilling, readFileOffThread, sha256OffThread, sharedBytes, warmHashThreads } from '../../native-models/runtime/hash-worker';
import { testTempDir } from '../temp-dir';

const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function pattern(n: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 131 + (i >> 9)) & 255;
  return a;
}

test('bytes in shared memory are hashed on a worker thread: only the view given, not the whole buffer', async () => {
  const data = pattern(3 << 20);
  const shared = sharedBytes(data.length + 1000);
  assert.ok(shared.buffer instanceof SharedArrayBuffer);
  shared.set(data, 17);
  shared.fill(7, 0, 17);
  const view = shared.subarray(17, 17 + data.length);
  assert.equal(await sha256OffThread(view), hex(data));
  assert.notEqual(await sha256OffThread(shared), hex(data));
});

test('ordinary bytes are hashed too (on this thread)', async () => {
  const data = pattern(4099);
  assert.equal(await sha256OffThread(data), hex(data));
});

test("a file is read and hashed on a worker thread; a missing file's error is reported", async () => {
  const dir = testTempDir('candor-hash-');
  const data = pattern((9 << 20) + 5);
  writeFileSync(join(dir, 'f.bin'), data);
  assert.equal(await fileSha256OffThread(join(dir, 'f.bin')), hex(data));
  await assert.rejects(fileSha256OffThread(join(dir, 'missing.bin')), /ENOENT|no such file/);
});

test('a file is read into shared memory and hashed on a worker thread: the bytes land where asked, the room after is left alone', async () => {
  const dir = testTempDir('candor-hash-read-');
  // Several of the reading thread's pieces (8 MB), the hash following them.
  const data = pattern((21 << 20) + 3);
  writeFileSync(join(dir, 'f.bin'), data);
  const into = sharedBytes(data.length + 64).fill(9);
  const job = readFileOffThread(join(dir, 'f.bin'), into, data.length);
  assert.ok(job, 'a worker starts here');
  assert.equal(await job.read, data.length);
  assert.ok(Buffer.from(data).equals(into.subarray(0, data.length)), 'the file\'s bytes');
  assert.ok(into.subarray(data.length).every((b) => b === 9), 'nothing past them');
  assert.equal(await job.sha256, hex(data));
});

test('reading a missing file off-thread rejects both the read and the hash; a buffer not in shared memory is refused', async () => {
  const job = readFileOffThread(join(testTempDir('candor-hash-read-'), 'none.bin'), sharedBytes(16), 16);
  assert.ok(job);
  await assert.rejects(job.read, /ENOENT|no such file/);
  await assert.rejects(job.sha256, /ENOENT|no such file/);
  assert.throws(() => readFileOffThread('x', Buffer.alloc(16), 16), /sharedBytes/);
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('bytes are hashed while they are filled in: the hash waits for each piece and covers only the length given at the end', async () => {
  warmHashThreads();
  const data = pattern((3 << 20) + 11);
  const bytes = sharedBytes(data.length + 500).fill(5, data.length);
  const filling = hashWhileFilling(bytes);
  let at = 0;
  for (const piece of [1, 4096, 700_000, 3, 1 << 20, 999_999]) {
    bytes.set(data.subarray(at, at + piece), at);
    at += piece;
    filling.filled(at);
    // The thread catches up and waits for the next piece.
    await pause(15);
  }
  bytes.set(data.subarray(at), at);
  filling.end(data.length);
  assert.equal(await filling.sha256, hex(data));
});

test('a filling that stops fails its hash, and the threads go on', async () => {
  const bytes = sharedBytes(1 << 20);
  const filling = hashWhileFilling(bytes);
  filling.filled(1000);
  await pause(10);
  filling.fail();
  await assert.rejects(filling.sha256, /could not be read whole/);
  const data = pattern(77_777);
  const again = sharedBytes(data.length);
  again.set(data);
  assert.equal(await sha256OffThread(again), hex(data));
});

test('a filling whose hash waits behind busy threads is hashed whole once they are free', async () => {
  const dir = testTempDir('candor-hash-busy-');
  const big = pattern(24 << 20);
  writeFileSync(join(dir, 'big.bin'), big);
  const busy = [fileSha256OffThread(join(dir, 'big.bin')), fileSha256OffThread(join(dir, 'big.bin'))];
  const data = pattern((2 << 20) + 1);
  const bytes = sharedBytes(data.length);
  const filling = hashWhileFilling(bytes);
  bytes.set(data);
  filling.filled(data.length);
  filling.end(data.length);
  assert.deepEqual(await Promise.all([...busy, filling.sha256]), [hex(big), hex(big), hex(data)]);
});

test('more jobs than threads all finish, each with its own digest, and a failed job leaves the threads working', async () => {
  warmHashThreads();
  const dir = testTempDir('candor-hash-queue-');
  const datas = [1, 2, 3, 4, 5, 6, 7].map((k) => pattern((k << 18) + k));
  datas.forEach((d, k) => writeFileSync(join(dir, `f${k}.bin`), d));
  const jobs = datas.map((d, k) => {
    if (k % 2) return fileSha256OffThread(join(dir, `f${k}.bin`));
    const shared = sharedBytes(d.length);
    shared.set(d);
    return sha256OffThread(shared);
  });
  // Its rejection is handled at once: it may come before the other jobs are done.
  const failing = assert.rejects(fileSha256OffThread(join(dir, 'missing.bin')), /ENOENT|no such file/);
  assert.deepEqual(await Promise.all(jobs), datas.map(hex));
  await failing;
  assert.equal(await fileSha256OffThread(join(dir, 'f3.bin')), hex(datas[3]));
});

test('a process that hashed off-thread ends on its own: idle threads do not hold it', () => {
  const dir = testTempDir('candor-hash-exit-');
  writeFileSync(join(dir, 'f.bin'), pattern(1 << 20));
  const module = join(process.cwd(), 'native-models', 'runtime', 'hash-worker.ts');
  const script = `const m = await import(${JSON.stringify(module)}); m.warmHashThreads(); console.log(await m.fileSha256OffThread(${JSON.stringify(join(dir, 'f.bin'))}));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.error, undefined, 'the process ended before the timeout');
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), hex(pattern(1 << 20)));
});
