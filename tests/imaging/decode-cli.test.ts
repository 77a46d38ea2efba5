/** `candor decode` argument handling and exit codes (the pixel results are covered by manifest.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { decodeCommand } from '../../electron/cli/commands/decode';
import { DICOM_FIXTURES } from './fixtures';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await decodeCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

test('usage errors exit 2 with a hint, --help exits 0', async () => {
  assert.equal((await run([])).code, 2);
  const bad = await run([join(DICOM_FIXTURES, 'cr_mono1.dcm'), '--frame', 'two']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--frame takes a frame number/);
  assert.equal((await run(['--bogus'])).code, 2);
  assert.equal((await run(['a.dcm', 'b.dcm'])).code, 2);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: candor decode FILE/);
});

test('a frame past the end is refused naming the file and the frame count', async () => {
  const file = join(DICOM_FIXTURES, 'cine_multiframe_rle.dcm');
  const res = await run([file, '--frame', '5']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /frame 5 requested, the image has 4 frames/);
  assert.ok(res.stderr.includes(file));
  const ok = await run([file, '--frame', '4']);
  assert.equal(ok.code, 0);
  const meta = JSON.parse(ok.stdout) as { frame: number; frames: number; transferSyntax: string; dtype: string };
  assert.deepEqual([meta.frame, meta.frames, meta.transferSyntax, meta.dtype], [4, 4, 'RLE Lossless', 'uint16']);
});

test('--hide-identifying leaves the patient out of the JSON', async () => {
  const res = await run([join(DICOM_FIXTURES, 'cr_mono1.dcm'), '--hide-identifying']);
  assert.equal(res.code, 0);
  const meta = JSON.parse(res.stdout) as { patient: { name: string | null; id: string | null } };
  assert.equal(meta.patient.name, null);
  assert.equal(meta.patient.id, null);
  const shown = JSON.parse((await run([join(DICOM_FIXTURES, 'cr_mono1.dcm')])).stdout) as { patient: { name: string } };
  assert.equal(shown.patient.name, 'PHANTOM^MONO1');
});
