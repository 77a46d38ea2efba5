/** JPEG files: the ImageMagick JFIF streams that img2dcm wrapped into the corpus, decoded as plain .jpg files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { ImagingError, loadScan } from '../../electron/imaging/index';
import { DICOM_FIXTURES } from './fixtures';
import { testTempDir } from '../temp-dir';

const tmp = testTempDir('candor-jpeg-');

function jfifFrom(dicomFile: string): Uint8Array {
  const ds = dicomParser.parseDicom(readFileSync(join(DICOM_FIXTURES, dicomFile)));
  const el = ds.elements.x7fe00010!;
  const frame = dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, el.fragments!.length);
  let end = frame.length; // drop the DICOM pad byte after EOI
  while (end > 2 && !(frame[end - 2] === 0xff && frame[end - 1] === 0xd9)) end--;
  return frame.subarray(0, end);
}

for (const [dcm, ref, channels] of [
  ['us8_jpeg_img2dcm.dcm', 'us8_jpeg_img2dcm.ref.pixels.raw', 1],
  ['rgb_jpeg_img2dcm_ybr422.dcm', 'rgb_jpeg_img2dcm_ybr422.ref.pixels.raw', 3],
] as const) {
  test(`JPEG file from ${dcm} decodes like DCMTK`, async () => {
    const jpg = jfifFrom(dcm);
    const path = join(tmp, `${dcm}.jpg`);
    writeFileSync(path, jpg);
    const scan = await loadScan(path);
    assert.equal(scan.summary.format, 'jpeg');
    assert.equal(scan.summary.channels, channels);
    const { data } = await scan.storedFrame(1);
    const expected = readFileSync(join(DICOM_FIXTURES, ref));
    assert.equal(data.length, expected.length);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(data[i]! - expected[i]!));
    // libjpeg-turbo and DCMTK's IJG use the same integer IDCT: identical output is expected.
    assert.equal(maxDiff, 0);

    const cut = join(tmp, `${dcm}.cut.jpg`);
    writeFileSync(cut, jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    await assert.rejects(loadScan(cut), (err: unknown) => err instanceof ImagingError && /JPEG/.test(err.reason) && err.file === cut);
  });
}

test('a .jpg that is not a JPEG is refused', async () => {
  const path = join(tmp, 'fake.jpg');
  writeFileSync(path, 'not a jpeg');
  await assert.rejects(loadScan(path), /not a JPEG image/);
});
