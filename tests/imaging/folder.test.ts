/** Studies from disk: a folder tree grouped by study/series and sorted by Instance Number, and a DICOMDIR made by DCMTK. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { ImagingError, scanFolder, scanFolderDetailed } from '../../electron/imaging/index';
import { DICOM_FIXTURES, hasTools } from './fixtures';
import { testTempDir } from '../temp-dir';

const hasDcmtk = hasTools('dcmodify', 'dcmmkdir');
const skip = hasDcmtk ? false : 'DCMTK (dcmodify, dcmmkdir) not installed';

/** A copy of a corpus file with its own instance number and SOP Instance UID. */
function instance(src: string, dest: string, number: number, uid: string): void {
  copyFileSync(join(DICOM_FIXTURES, src), dest);
  execFileSync('dcmodify', ['-nb', '-m', `InstanceNumber=${number}`, '-m', `SOPInstanceUID=${uid}`, dest]);
}

test('a folder tree is grouped by study and series and sorted by Instance Number', { skip }, async () => {
  const root = testTempDir('candor-folder-');
  mkdirSync(join(root, 'a', 'deep'), { recursive: true });
  mkdirSync(join(root, 'b'));
  // One CT series spread over folders, written out of order.
  instance('ct_signed_rescale_windows.dcm', join(root, 'b', 'z.dcm'), 1, '2.25.901');
  instance('ct_signed_rescale_windows.dcm', join(root, 'a', 'deep', 'x.dcm'), 3, '2.25.903');
  instance('ct_signed_rescale_windows.dcm', join(root, 'a', 'y'), 2, '2.25.902');
  // Same study, another series; and another study altogether.
  copyFileSync(join(DICOM_FIXTURES, 'cr_mono1.dcm'), join(root, 'cr.dcm'));
  copyFileSync(join(DICOM_FIXTURES, 'real_CT_small.dcm'), join(root, 'b', 'real.dcm'));
  writeFileSync(join(root, 'notes.txt'), 'not an image\n');
  writeFileSync(join(root, 'empty.dcm'), '');
  writeFileSync(join(root, 'pic.png'), encodePng({ width: 2, height: 2, data: new Uint8Array(4), depth: 8, channels: 1 }));

  const { studies, skipped } = await scanFolderDetailed(root);
  const phantom = studies.find((s) => s.studyInstanceUid === '2.25.283275515367935284580054724473852226223');
  assert.ok(phantom, 'the phantom study is found');
  assert.match(phantom.patientName ?? '', /^PHANTOM\^/);
  const ct = phantom.series.find((s) => s.modality === 'CT')!;
  assert.deepEqual(ct.instances.map((i) => i.instanceNumber), [1, 2, 3]);
  assert.deepEqual(ct.instances.map((i) => i.sopInstanceUid), ['2.25.901', '2.25.902', '2.25.903']);
  assert.deepEqual(ct.instances.map((i) => i.path), [join(root, 'b', 'z.dcm'), join(root, 'a', 'y'), join(root, 'a', 'deep', 'x.dcm')]);
  assert.ok(phantom.series.some((s) => s.modality === 'CR' && s.instances.length === 1));
  assert.ok(studies.some((s) => s.patientName === 'CompressedSamples^CT1'));
  assert.ok(studies.some((s) => s.series[0]!.instances[0]!.format === 'png'));
  assert.deepEqual(skipped.map((s) => s.path).sort(), [join(root, 'empty.dcm'), join(root, 'notes.txt')]);

  const hidden = await scanFolder(root, { hideIdentifying: true });
  assert.equal(hidden.length, studies.length);
  assert.ok(hidden.every((s) => s.patientName === null && s.patientId === null));
});

test('a DICOMDIR lists its studies, with file IDs resolved case-insensitively', { skip }, async () => {
  const root = testTempDir('candor-dicomdir-');
  mkdirSync(join(root, 'IMAGES'));
  instance('ct_signed_rescale_windows.dcm', join(root, 'IMAGES', 'IM000002'), 2, '2.25.912');
  instance('ct_signed_rescale_windows.dcm', join(root, 'IMAGES', 'IM000001'), 1, '2.25.911');
  copyFileSync(join(DICOM_FIXTURES, 'chest_explicit_le.dcm'), join(root, 'IMAGES', 'CHEST'));
  execFileSync('dcmmkdir', ['+r', '+id', root, '+I', '+D', join(root, 'DICOMDIR'), 'IMAGES'], { cwd: root });
  // Media often arrive with lower-case names on case-sensitive file systems.
  for (const name of readdirSync(join(root, 'IMAGES'))) renameSync(join(root, 'IMAGES', name), join(root, 'IMAGES', name.toLowerCase()));
  renameSync(join(root, 'IMAGES'), join(root, 'images'));

  for (const target of [root, join(root, 'DICOMDIR')]) {
    const { studies, skipped } = await scanFolderDetailed(target);
    assert.deepEqual(skipped, []);
    assert.equal(studies.length, 1);
    const series = studies[0]!.series;
    const ct = series.find((s) => s.modality === 'CT')!;
    assert.deepEqual(ct.instances.map((i) => i.path), [join(root, 'images', 'im000001'), join(root, 'images', 'im000002')]);
    assert.ok(series.some((s) => s.modality === 'CR' && s.instances[0]!.path === join(root, 'images', 'chest')));
  }
});

test('scanFolder refuses a missing path and a plain file clearly', async () => {
  await assert.rejects(scanFolder('/nonexistent/candor'), (err: unknown) => err instanceof ImagingError && /no such file or folder/.test(err.reason));
  await assert.rejects(scanFolder(join(DICOM_FIXTURES, 'cr_mono1.dcm')), (err: unknown) => err instanceof ImagingError && /is a file/.test(err.reason));
});
