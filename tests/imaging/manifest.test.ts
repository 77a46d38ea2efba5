/**
 * Walks the DICOM conformance corpus manifest: every valid file must decode through
 * `candor decode --raw` to the expected stored pixels (exactly, or within the stated
 * tolerance for lossy files) with the header facts the manifest lists; every invalid file
 * must be refused with a clear error naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCommand } from '../../electron/cli/commands/decode';
import { loadScan } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from './fixtures';
import { testTempDir } from '../temp-dir';

interface ManifestEntry {
  name: string;
  file: string;
  kind: 'valid' | 'invalid';
  transfer_syntax?: { uid: string };
  rows: number;
  columns: number;
  frames: number;
  samples_per_pixel: number;
  photometric_interpretation: string;
  bits_allocated: number;
  bits_stored: number;
  high_bit: number;
  pixel_representation: number;
  rescale_slope: number | null;
  rescale_intercept: number | null;
  window_center: number[] | null;
  window_width: number[] | null;
  voi_lut_sequence: unknown;
  expected?: {
    pixels_file: string;
    dtype: string;
    shape: number[];
    comparison: 'exact' | 'tolerance';
    max_abs_error?: number;
    max_mean_abs_error?: number;
  };
  modality_value_stats?: { min: number; max: number; mean: number };
  reason?: string;
}

const manifest = JSON.parse(readFileSync(join(DICOM_FIXTURES, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] };
const tmp = testTempDir('candor-manifest-');

const ARRAYS = { uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, uint32: Uint32Array, int32: Int32Array } as const;
type Dtype = keyof typeof ARRAYS;

function typed(bytes: Buffer, dtype: string): ArrayLike<number> {
  const C = ARRAYS[dtype as Dtype];
  assert.ok(C, `unknown dtype ${dtype}`);
  const copy = new Uint8Array(bytes); // aligned copy
  return new C(copy.buffer, 0, copy.byteLength / C.BYTES_PER_ELEMENT);
}

async function runDecode(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await decodeCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

for (const entry of manifest.files.filter((e) => e.kind === 'valid')) {
  test(`decodes ${entry.file}`, async () => {
    const exp = entry.expected!;
    const all = typed(readFileSync(join(DICOM_FIXTURES, exp.pixels_file)), exp.dtype);
    const perFrame = all.length / entry.frames;
    const path = join(DICOM_FIXTURES, entry.file);
    for (let f = 1; f <= entry.frames; f++) {
      const out = join(tmp, `${entry.name}.${f}.raw`);
      const res = await runDecode([path, '--frame', String(f), '--raw', out]);
      assert.equal(res.code, 0, res.stderr);
      const meta = JSON.parse(res.stdout) as Record<string, unknown>;
      if (f === 1) {
        assert.equal(meta.rows, entry.rows);
        assert.equal(meta.columns, entry.columns);
        assert.equal(meta.frames, entry.frames);
        assert.equal(meta.samplesPerPixel, entry.samples_per_pixel);
        assert.equal(meta.photometricInterpretation, entry.photometric_interpretation);
        assert.equal(meta.bitsAllocated, entry.bits_allocated);
        assert.equal(meta.bitsStored, entry.bits_stored);
        assert.equal(meta.highBit, entry.high_bit);
        assert.equal(meta.pixelRepresentation, entry.pixel_representation);
        assert.equal(meta.dtype, exp.dtype);
        assert.equal(meta.transferSyntaxUID, entry.transfer_syntax!.uid);
        const rescale = meta.rescale as { slope: number; intercept: number } | null;
        if (entry.rescale_slope !== null || entry.rescale_intercept !== null) {
          assert.equal(rescale?.slope, entry.rescale_slope ?? 1);
          assert.equal(rescale?.intercept, entry.rescale_intercept ?? 0);
        } else assert.equal(rescale, null);
        const windows = meta.windows as { center: number; width: number }[];
        assert.deepEqual(windows.map((w) => w.center), entry.window_center ?? []);
        assert.deepEqual(windows.map((w) => w.width), entry.window_width ?? []);
        assert.equal(meta.voiLuts, entry.voi_lut_sequence ? 1 : 0);
      }
      const got = typed(readFileSync(out), exp.dtype);
      assert.equal(got.length, perFrame, `frame ${f}: sample count`);
      const base = (f - 1) * perFrame;
      let maxErr = 0;
      let sumErr = 0;
      let firstBad = -1;
      for (let i = 0; i < perFrame; i++) {
        const d = Math.abs(got[i]! - all[base + i]!);
        if (d > 0 && firstBad < 0) firstBad = i;
        if (d > maxErr) maxErr = d;
        sumErr += d;
      }
      if (exp.comparison === 'exact') {
        assert.equal(maxErr, 0, `frame ${f}: first difference at sample ${firstBad}: got ${got[firstBad]}, expected ${all[base + firstBad]}`);
      } else {
        assert.ok(maxErr <= exp.max_abs_error!, `frame ${f}: max abs error ${maxErr} > ${exp.max_abs_error}`);
        assert.ok(sumErr / perFrame <= exp.max_mean_abs_error!, `frame ${f}: mean abs error ${sumErr / perFrame} > ${exp.max_mean_abs_error}`);
      }
    }
    // Modality values over all frames match the manifest's statistics (exact files only: lossy ones differ by design).
    if (exp.comparison === 'exact' && entry.samples_per_pixel === 1 && entry.modality_value_stats) {
      const scan = await loadScan(path);
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let n = 0;
      for (let f = 1; f <= entry.frames; f++) {
        for (const v of await scan.frame(f)) {
          if (v < min) min = v;
          if (v > max) max = v;
          sum += v;
          n++;
        }
      }
      const s = entry.modality_value_stats;
      const tol = (x: number) => 1e-6 * Math.max(1, Math.abs(x));
      assert.ok(Math.abs(min - s.min) <= tol(s.min), `min ${min} vs ${s.min}`);
      assert.ok(Math.abs(max - s.max) <= tol(s.max), `max ${max} vs ${s.max}`);
      assert.ok(Math.abs(sum / n - s.mean) <= 1e-4 * Math.max(1, Math.abs(s.mean)), `mean ${sum / n} vs ${s.mean}`);
    }
  });
}

for (const entry of manifest.files.filter((e) => e.kind === 'invalid')) {
  test(`refuses ${entry.file} (${entry.reason})`, async () => {
    const path = join(DICOM_FIXTURES, entry.file);
    const out = join(tmp, `${entry.name}.raw`);
    const res = await runDecode([path, '--raw', out]);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.ok(res.stderr.includes(path), res.stderr);
    assert.ok(res.stderr.trim().split('\n').length === 1, `one clear line, got: ${res.stderr}`);
    if (entry.reason === 'unsupported transfer syntax') assert.match(res.stderr, /unsupported transfer syntax/);
    if (entry.reason === 'empty file') assert.match(res.stderr, /empty/);
    if (entry.reason === 'not a DICOM file') assert.match(res.stderr, /not a DICOM file/);
  });
}
