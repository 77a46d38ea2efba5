import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { ImagingError, loadScan } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from './fixtures';
import { testTempDir } from '../temp-dir';

const FIXTURES = DICOM_FIXTURES;
const tmp = testTempDir('candor-imaging-');

function ramp(n: number, max: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + seed * 104729) % (max + 1));
}

test('PNG 8-bit and 16-bit gray decode to the written values', async () => {
  for (const depth of [8, 16] as const) {
    const width = 13;
    const height = 7;
    const values = ramp(width * height, depth === 8 ? 255 : 65535, depth);
    const data = depth === 8 ? Uint8Array.from(values) : Uint16Array.from(values);
    const path = join(tmp, `gray${depth}.png`);
    writeFileSync(path, encodePng({ width, height, data, depth, channels: 1 }));
    const scan = await loadScan(path);
    assert.equal(scan.summary.format, 'png');
    assert.equal(scan.summary.width, width);
    assert.equal(scan.summary.height, height);
    assert.equal(scan.summary.channels, 1);
    assert.equal(scan.summary.bitsStored, depth);
    assert.deepEqual(Array.from((await scan.storedFrame(1)).data), values);
    assert.deepEqual(Array.from(await scan.frame(1)), values);
    assert.deepEqual(scan.summary.valueRange, { min: Math.min(...values), max: Math.max(...values) });
    assert.match(scan.summary.sha256, /^[0-9a-f]{64}$/);
  }
});

test('PNG RGB and RGBA (8 and 16 bit) decode to interleaved RGB, 0..255 in frame()', async () => {
  for (const depth of [8, 16] as const) {
    for (const channels of [3, 4]) {
      const width = 5;
      const height = 4;
      const max = depth === 8 ? 255 : 65535;
      const values = ramp(width * height * channels, max, channels);
      const data = depth === 8 ? Uint8Array.from(values) : Uint16Array.from(values);
      const path = join(tmp, `rgb${depth}_${channels}.png`);
      writeFileSync(path, encodePng({ width, height, data, depth, channels }));
      const scan = await loadScan(path);
      assert.equal(scan.summary.channels, 3);
      const rgb = values.filter((_, i) => i % channels < 3);
      assert.deepEqual(Array.from((await scan.storedFrame(1)).data), rgb);
      const frame = await scan.frame(1);
      assert.equal(frame.length, width * height * 3);
      for (let i = 0; i < rgb.length; i++) assert.ok(Math.abs(frame[i]! - (rgb[i]! * 255) / max) < 1e-3);
    }
  }
});

test('uncompressed DICOM (explicit and implicit LE) decodes to the reference pixels', async () => {
  const expected = new Uint16Array(readFileSync(join(FIXTURES, 'chest.pixels.raw')).buffer.slice(0));
  for (const name of ['chest_explicit_le.dcm', 'chest_implicit_le.dcm']) {
    const scan = await loadScan(join(FIXTURES, name));
    assert.equal(scan.summary.format, 'dicom');
    assert.equal(scan.summary.width, 448);
    assert.equal(scan.summary.height, 512);
    const { data } = await scan.storedFrame(1);
    assert.ok(data instanceof Uint16Array);
    assert.deepEqual(data, expected);
    assert.deepEqual(scan.summary.windows, [{ name: 'Default', center: 1900, width: 3600 }]);
  }
  const ct = await loadScan(join(FIXTURES, 'ct_signed_rescale_windows.dcm'));
  const ctRaw = readFileSync(join(FIXTURES, 'ct.pixels.raw'));
  const ctStored = new Int16Array(ctRaw.buffer, ctRaw.byteOffset, ctRaw.byteLength / 2);
  assert.deepEqual((await ct.storedFrame(1)).data, ctStored);
  const hu = await ct.frame(1);
  assert.equal(hu[0], ctStored[0]! - 1024);
  assert.equal(ct.summary.units, 'HU');
});

async function rejects(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(loadScan(path), (err: unknown) => {
    assert.ok(err instanceof ImagingError, `expected ImagingError, got ${String(err)}`);
    assert.ok(err.message.startsWith(path), err.message);
    assert.match(err.reason, pattern);
    return true;
  });
}

test('missing file, folder, text renamed .dcm and truncated PNG are refused clearly', async () => {
  await rejects(join(tmp, 'nope.dcm'), /no such file/);
  await rejects(tmp, /folder/);
  const text = join(tmp, 'notes.dcm');
  writeFileSync(text, 'Patient notes\nnothing to see here, this is plain text and not DICOM at all.\n'.repeat(5));
  await rejects(text, /not a DICOM file.*text/);
  const png = encodePng({ width: 40, height: 40, data: new Uint8Array(1600).fill(9), depth: 8, channels: 1 });
  const truncated = join(tmp, 'cut.png');
  writeFileSync(truncated, png.subarray(0, png.length - 30));
  await rejects(truncated, /PNG/);
});
