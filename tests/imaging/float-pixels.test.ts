/**
 * Float Pixel Data (7FE0,0008) and Double Float Pixel Data (7FE0,0009), as Parametric Maps carry
 * them: files written by dcmjs (and converted by DCMTK's dcmconv), decoded by Candor, and
 * compared with the values DCMTK's dcmdump prints and with the values written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImagingError, loadScan } from '../../electron/imaging/index';
import { decodeCommand } from '../../electron/cli/commands/decode';
import { writePart10, binaryValue, type Dataset } from '../../electron/dicom-export/dcmjs';
import { hasTools } from './fixtures';
import { testTempDir } from '../temp-dir';

const dir = testTempDir('candor-float-');
test.after(() => rmSync(dir, { recursive: true, force: true }));
const dcmtk = hasTools('dcmdump', 'dcmconv');

const ROWS = 3;
const COLUMNS = 5;
/** Negative, tiny, huge, fractional and integral values: nothing an integer path would keep. */
const VALUES = [-2.5, 0, 1e-7, 0.1, 0.333333343, 1, 1.5, 255.75, -1024, 3.4e38, 7, 8, 9, -0.125, 42.421875];

function floatFile(name: string, values: ArrayLike<number>, double: boolean, extra: Dataset = {}): string {
  const pixels = double ? Float64Array.from(values) : Float32Array.from(values);
  const dataset: Dataset = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.30',
    SOPInstanceUID: '2.25.1234567890',
    StudyInstanceUID: '2.25.1',
    SeriesInstanceUID: '2.25.2',
    Modality: 'OT',
    PatientName: [{ Alphabetic: 'Float^Test' }],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ROWS,
    Columns: COLUMNS,
    BitsAllocated: double ? 64 : 32,
    NumberOfFrames: 1,
    [double ? 'DoubleFloatPixelData' : 'FloatPixelData']: binaryValue(pixels),
    ...extra,
  };
  const file = join(dir, name);
  writeFileSync(file, writePart10(dataset, { implementationClassUid: '2.25.99', implementationVersionName: 'TEST' }));
  return file;
}

/** The float values of (7FE0,0008) as DCMTK prints them (9 significant digits: enough to round-trip a float32). */
function dcmdumpFloats(file: string): number[] {
  const line = execFileSync('dcmdump', ['+L', file], { encoding: 'utf8' }).split('\n').find((l) => l.startsWith('(7fe0,0008)'));
  assert.ok(line, 'dcmdump shows Float Pixel Data');
  return line.replace(/^\(7fe0,0008\) OF /, '').replace(/\s+#.*$/, '').split('\\').map(Number);
}

test('32-bit Float Pixel Data: Candor decodes exactly what was written and what DCMTK reads', async () => {
  const file = floatFile('float32.dcm', VALUES, false);
  const scan = await loadScan(file);
  assert.deepEqual([scan.summary.width, scan.summary.height, scan.summary.channels, scan.summary.bitsStored], [COLUMNS, ROWS, 1, 32]);
  assert.equal(scan.header.dtype, 'float32');
  const expected = Float32Array.from(VALUES);
  assert.deepEqual(Array.from(await scan.frame(1)), Array.from(expected));
  const stored = (await scan.storedFrame(1)).data;
  assert.ok(stored instanceof Float32Array);
  assert.deepEqual(Array.from(stored), Array.from(expected));
  assert.deepEqual(scan.summary.valueRange, { min: -1024, max: Math.fround(3.4e38) });
  if (dcmtk) assert.deepEqual(Array.from(expected), dcmdumpFloats(file).map(Math.fround), 'the values DCMTK reads');
});

test('Float Pixel Data in Explicit VR Big Endian and Implicit VR Little Endian (converted by dcmconv) decode to the same values', { skip: !dcmtk && 'DCMTK not installed' }, async () => {
  const file = floatFile('float32-le.dcm', VALUES, false);
  const expected = Array.from(Float32Array.from(VALUES));
  for (const [flag, name] of [['+tb', 'be'], ['+ti', 'implicit']] as const) {
    const out = join(dir, `float32-${name}.dcm`);
    execFileSync('dcmconv', [flag, file, out]);
    const scan = await loadScan(out);
    assert.deepEqual(Array.from(await scan.frame(1)), expected, name);
  }
});

test('64-bit Double Float Pixel Data keeps every bit as stored values; modality values are its float32 rounding', async () => {
  const values = VALUES.map((v, i) => v + i * 1e-12);
  const scan = await loadScan(floatFile('float64.dcm', values, true));
  assert.equal(scan.header.dtype, 'float64');
  const stored = (await scan.storedFrame(1)).data;
  assert.ok(stored instanceof Float64Array);
  assert.deepEqual(Array.from(stored), values);
  assert.deepEqual(Array.from(await scan.frame(1)), Array.from(Float32Array.from(values)));
});

test('candor decode --raw writes the float32 samples little-endian', async () => {
  const file = floatFile('float32-raw.dcm', VALUES, false);
  const raw = join(dir, 'float32.raw');
  let stdout = '';
  const code = await decodeCommand([file, '--raw', raw], { stdout: (s) => (stdout += s), stderr: () => {} });
  assert.equal(code, 0);
  assert.equal((JSON.parse(stdout) as { dtype: string }).dtype, 'float32');
  const bytes = (await import('node:fs')).readFileSync(raw);
  assert.deepEqual(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)), Array.from(Float32Array.from(VALUES)));
});

test('a float image whose header contradicts its samples is refused naming the file', async () => {
  const cases: [string, Dataset, RegExp][] = [
    ['bits16.dcm', { BitsAllocated: 16 }, /Float Pixel Data needs Bits Allocated 32, the header says 16/],
    ['rgb.dcm', { SamplesPerPixel: 3, PhotometricInterpretation: 'RGB' }, /must be one MONOCHROME2 sample per pixel/],
    ['short.dcm', { Rows: ROWS + 1 }, /Pixel Data holds 60 bytes but 4x5x1 samples of 32 bits x 1 frame\(s\) need 80/],
  ];
  for (const [name, extra, reason] of cases) {
    const file = floatFile(name, VALUES, false, extra);
    await assert.rejects(loadScan(file), (err: unknown) => err instanceof ImagingError && err.file === file && reason.test(err.message), name);
  }
});
