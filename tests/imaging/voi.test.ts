/**
 * VOI transforms checked two ways: the PS3.3 C.11.2.1.2 breakpoints by hand, and whole images
 * against DCMTK's renderer (dcm2pnm), an independent implementation, to within one grey level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { applyVoi, loadScan, toDisplay8, type Voi } from '../../electron/imaging/index';
import { DICOM_FIXTURES, readPnm, hasTools } from './fixtures';
import { testTempDir } from '../temp-dir';

const tmp = testTempDir('candor-voi-');

test('LINEAR window follows the standard breakpoints', () => {
  const c = 40;
  const w = 400;
  const lo = c - 0.5 - (w - 1) / 2;
  const hi = c - 0.5 + (w - 1) / 2;
  const y = applyVoi([lo, lo + 1e-3, c - 0.5, hi, hi + 1e-3, -5000, 5000], { kind: 'window', center: c, width: w });
  assert.equal(y[0], 0);
  assert.ok(y[1]! > 0 && y[1]! < 1e-3);
  assert.ok(Math.abs(y[2]! - 0.5) < 1e-7);
  assert.ok(Math.abs(y[3]! - 1) < 1e-6);
  assert.equal(y[4], 1);
  assert.equal(y[5], 0);
  assert.equal(y[6], 1);
});

test('LINEAR_EXACT and SIGMOID follow their definitions', () => {
  const exact = applyVoi([-160, -159.9, 40, 240, 240.1], { kind: 'window', center: 40, width: 400, fn: 'LINEAR_EXACT' });
  assert.equal(exact[0], 0);
  assert.ok(Math.abs(exact[1]! - 0.1 / 400) < 1e-6);
  assert.equal(exact[2], 0.5);
  assert.equal(exact[3], 1);
  assert.equal(exact[4], 1);
  const sig = applyVoi([40, 140, -60], { kind: 'window', center: 40, width: 400, fn: 'SIGMOID' });
  assert.ok(Math.abs(sig[0]! - 0.5) < 1e-7);
  assert.ok(Math.abs(sig[1]! - 1 / (1 + Math.exp(-1))) < 1e-6);
  assert.ok(Math.abs(sig[1]! + sig[2]! - 1) < 1e-6);
  const inverted = applyVoi([40], { kind: 'window', center: 0, width: 400, fn: 'LINEAR_EXACT' }, { invert: true });
  assert.ok(Math.abs(inverted[0]! - 0.4) < 1e-6);
});

const hasDcmtk = hasTools('dcm2pnm');


const cases: { file: string; args: string[]; voi: (scan: Awaited<ReturnType<typeof loadScan>>) => Voi }[] = [
  { file: 'ct_signed_rescale_windows.dcm', args: ['+Wi', '1'], voi: (s) => ({ kind: 'window', ...s.summary.windows[0]! }) },
  { file: 'ct_signed_rescale_windows.dcm', args: ['+Wi', '2'], voi: (s) => ({ kind: 'window', ...s.summary.windows[1]! }) },
  { file: 'ct_signed_rescale_windows.dcm', args: ['+Ww', '40', '400', '+Wfs'], voi: () => ({ kind: 'window', center: 40, width: 400, fn: 'SIGMOID' }) },
  { file: 'chest_small_voi_lut.dcm', args: ['+Wl', '1'], voi: (s) => ({ kind: 'lut', lut: s.voi.luts[0]! }) },
  { file: 'cr_mono1.dcm', args: ['+Wi', '1'], voi: (s) => ({ kind: 'window', ...s.summary.windows[0]! }) },
];

for (const c of cases) {
  test(`VOI of ${c.file} ${c.args.join(' ')} matches dcm2pnm within one grey level`, { skip: hasDcmtk ? false : 'DCMTK not installed' }, async () => {
    const scan = await loadScan(join(DICOM_FIXTURES, c.file));
    const out = join(tmp, `${c.file}.${c.args.join('_')}.pgm`);
    execFileSync('dcm2pnm', [...c.args, '+op', join(DICOM_FIXTURES, c.file), out]);
    const expected = readPnm(out);
    const ours = toDisplay8(await scan.frame(1), c.voi(scan), { invert: scan.summary.invertedByDefault });
    assert.equal(ours.length, expected.length);
    let maxDiff = 0;
    let sum = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i]! - expected[i]!);
      maxDiff = Math.max(maxDiff, d);
      sum += d;
    }
    assert.ok(maxDiff <= 1, `max difference ${maxDiff}`);
    // DCMTK rounds the inverted (MONOCHROME1) ramp the other way at half levels, hence 0.6 rather than 0.5.
    assert.ok(sum / ours.length < 0.6, `mean difference ${sum / ours.length}`);
  });
}
