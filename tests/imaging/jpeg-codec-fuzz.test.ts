/**
 * The own JPEG decoders on mutated codestreams (byte changes in the headers and the scan,
 * truncation, dropped or repeated runs of bytes): every case ends quickly, in pixels of the
 * right size or an ImagingError naming the file, never another exception or a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compressedFrameBytes, decodeCompressedFrame } from '../../electron/imaging/codecs/index';
import { parseDicomBytes } from '../../electron/imaging/dicom-file';
import { readImageInfo } from '../../electron/imaging/dicom-header';
import { ImagingError } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from './fixtures';

const CASES = 120;
/** Far above any real decode of these small frames: only a hang or a runaway loop gets near it. */
const HANG_MS = 3000;

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return Math.floor((s / 2 ** 32) * n);
  };
}

function join2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function mutate(bytes: Uint8Array, rand: (n: number) => number): Uint8Array {
  const out = bytes.slice();
  // Most mutations land in the first few hundred bytes, where the tables and headers are.
  const at = () => (rand(2) ? rand(Math.min(out.length, 700)) : rand(out.length));
  switch (rand(5)) {
    case 0:
      for (let i = 0, n = 1 + rand(4); i < n; i++) out[at()] = rand(256);
      return out;
    case 1:
      for (let i = 0, n = 1 + rand(8); i < n; i++) out[at()] ^= 1 << rand(8);
      return out;
    case 2:
      return out.subarray(0, rand(out.length));
    case 3: {
      const from = at();
      return join2(out.subarray(0, from), out.subarray(from + 1 + rand(64)));
    }
    default: {
      const from = at();
      return join2(out.subarray(0, from + 1 + rand(32)), out.subarray(from));
    }
  }
}

for (const file of ['chest_small_jpeg_lossless_fragmented.dcm', 'rgb_jpeg_lossless_sv1.dcm', 'real_JPGExtended.dcm', 'chest_jpeg_extended_12bit.dcm']) {
  test(`mutated codestreams of ${file} decode or are refused clearly`, async () => {
    const path = join(DICOM_FIXTURES, file);
    const ds = parseDicomBytes(path, new Uint8Array(readFileSync(path)));
    const info = readImageInfo(path, ds);
    const frame = compressedFrameBytes(path, ds, info, 0);
    const samples = info.layout.rows * info.layout.columns * info.layout.samplesPerPixel;
    const rand = rng(file.length * 7919);
    const outcomes = { decoded: 0, refused: 0 };
    for (let i = 0; i < CASES; i++) {
      const bytes = mutate(frame, rand);
      const t0 = performance.now();
      try {
        const out = await decodeCompressedFrame('mutated.dcm', info.transferSyntax, info.layout, bytes);
        assert.equal(out.length, samples, `case ${i}: sample count`);
        outcomes.decoded++;
      } catch (err) {
        if (!(err instanceof ImagingError)) assert.fail(`case ${i}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        assert.equal(err.file, 'mutated.dcm');
        assert.ok(err.reason.length > 10, `case ${i}: unclear reason '${err.reason}'`);
        outcomes.refused++;
      }
      assert.ok(performance.now() - t0 < HANG_MS, `case ${i} took ${(performance.now() - t0).toFixed(0)} ms`);
    }
    assert.ok(outcomes.decoded > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });
}
