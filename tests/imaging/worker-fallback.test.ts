/** A worker entry that cannot start must not break decoding: the pool falls back to in-thread decoding. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureDecoder, decoderStatus, stopDecoder } from '../../electron/imaging/decoder-pool';
import { loadScan } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from './fixtures';
import { testTempDir } from '../temp-dir';

after(() => stopDecoder());

test('a broken worker entry falls back to decoding in-thread, with the same pixels', async () => {
  const dir = testTempDir('candor-worker-');
  const broken = join(dir, 'decode-worker.cjs');
  writeFileSync(broken, "throw new Error('this worker cannot start');\n");
  configureDecoder({ workerPath: broken });
  const scan = await loadScan(join(DICOM_FIXTURES, 'ct_signed_rle.dcm'));
  const raw = readFileSync(join(DICOM_FIXTURES, 'ct.pixels.raw'));
  assert.deepEqual((await scan.storedFrame(1)).data, new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  const status = decoderStatus();
  assert.equal(status.mode, 'in-thread');
  assert.match(status.reason ?? '', /could not be started/);
});
