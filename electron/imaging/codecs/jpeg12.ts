/**
 * JPEG with 12-bit precision (Extended, process 4). None of the installed wasm codecs decodes
 * it correctly (libjpeg-turbo-8bit refuses it; the pdf.js-derived JS decoders are off by a
 * level-shift bias), so the frame is handed to DCMTK's `dcmdjpeg`, whose IJG 12-bit codec is
 * the reference the corpus was checked against. Without DCMTK the error says what to install.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImagingError } from '../errors';
import type { PixelLayout } from '../types';
import type { RawSamples } from '../stored';
import { parseDicomBytes } from '../dicom-file';
import { readImageInfo } from '../dicom-header';
import { decodeNativeFrame, nativeFrameBytes } from '../native';
import { writeDicom } from '../dicom-writer';

const DCMDJPEG_TIMEOUT_MS = 60_000;

const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';

/** A minimal Part 10 file holding one JPEG frame, just enough for dcmdjpeg. */
function wrapFrame(layout: PixelLayout, frame: Uint8Array): Uint8Array {
  return writeDicom({
    transferSyntax: JPEG_EXTENDED,
    elements: [
      { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
      { tag: 0x00080018, vr: 'UI', value: '2.25.1' },
      { tag: 0x00280002, vr: 'US', value: { us: [layout.samplesPerPixel] } },
      { tag: 0x00280004, vr: 'CS', value: layout.photometric },
      { tag: 0x00280010, vr: 'US', value: { us: [layout.rows] } },
      { tag: 0x00280011, vr: 'US', value: { us: [layout.columns] } },
      { tag: 0x00280100, vr: 'US', value: { us: [layout.bitsAllocated] } },
      { tag: 0x00280101, vr: 'US', value: { us: [layout.bitsStored] } },
      { tag: 0x00280102, vr: 'US', value: { us: [layout.highBit] } },
      { tag: 0x00280103, vr: 'US', value: { us: [layout.pixelRepresentation] } },
    ],
    pixels: { fragments: [frame] },
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: DCMDJPEG_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolve();
    });
  });
}

export async function decodeJpeg12(file: string, bytes: Uint8Array, layout: PixelLayout): Promise<RawSamples> {
  const dir = await mkdtemp(join(tmpdir(), 'candor-jpeg12-'));
  try {
    const input = join(dir, 'in.dcm');
    const output = join(dir, 'out.dcm');
    await writeFile(input, wrapFrame(layout, bytes));
    try {
      await run(process.env.CANDOR_DCMDJPEG ?? 'dcmdjpeg', ['+te', input, output]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
      if (e.code === 'ENOENT') {
        throw new ImagingError(file, 'JPEG with 12-bit precision needs DCMTK (dcmdjpeg), which is not installed; install the dcmtk package');
      }
      if (e.killed) throw new ImagingError(file, 'decoding the 12-bit JPEG took too long and was stopped');
      const detail = (e.stderr ?? '').split('\n').find((l) => /^E:|error/i.test(l))?.trim() ?? e.message;
      throw new ImagingError(file, `the 12-bit JPEG pixel data cannot be decoded (${detail})`);
    }
    const decoded = new Uint8Array(await readFile(output));
    const ds = parseDicomBytes(file, decoded);
    const info = readImageInfo(file, ds);
    if (info.layout.rows !== layout.rows || info.layout.columns !== layout.columns) {
      throw new ImagingError(file, 'the 12-bit JPEG decoded to an image of another size than the header says');
    }
    return decodeNativeFrame(info.layout, nativeFrameBytes(file, ds, info, 0, false));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
