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

const DCMDJPEG_TIMEOUT_MS = 60_000;

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  bytes(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u16(v: number): void {
    this.bytes(Uint8Array.of(v & 0xff, v >> 8));
  }
  u32(v: number): void {
    this.bytes(Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff));
  }
  tag(group: number, element: number): void {
    this.u16(group);
    this.u16(element);
  }
  /** Explicit VR LE element with a short (2-byte) length. */
  short(group: number, element: number, vr: string, value: Uint8Array): void {
    this.tag(group, element);
    this.bytes(Uint8Array.from(vr, (c) => c.charCodeAt(0)));
    this.u16(value.length);
    this.bytes(value);
  }
  text(group: number, element: number, vr: string, s: string, pad = ' '): void {
    const t = s.length % 2 ? s + pad : s;
    this.short(group, element, vr, Uint8Array.from(t, (c) => c.charCodeAt(0)));
  }
  us(group: number, element: number, v: number): void {
    this.short(group, element, 'US', Uint8Array.of(v & 0xff, v >> 8));
  }
  get length(): number {
    return this.size;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const SC_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.7';
const INSTANCE = '2.25.1';
const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';

/** A minimal Part 10 file holding one JPEG frame, just enough for dcmdjpeg. */
function wrapFrame(layout: PixelLayout, frame: Uint8Array): Uint8Array {
  const metaBody = new Writer();
  // (0002,0001) OB needs the 4-byte length form.
  metaBody.tag(0x0002, 0x0001);
  metaBody.bytes(Uint8Array.from('OB\0\0', (c) => c.charCodeAt(0)));
  metaBody.u32(2);
  metaBody.bytes(Uint8Array.of(0, 1));
  metaBody.text(0x0002, 0x0002, 'UI', SC_SOP_CLASS, '\0');
  metaBody.text(0x0002, 0x0003, 'UI', INSTANCE, '\0');
  metaBody.text(0x0002, 0x0010, 'UI', JPEG_EXTENDED, '\0');
  const out = new Writer();
  out.bytes(new Uint8Array(128));
  out.bytes(Uint8Array.from('DICM', (c) => c.charCodeAt(0)));
  out.short(0x0002, 0x0000, 'UL', Uint8Array.of(metaBody.length & 0xff, (metaBody.length >> 8) & 0xff, 0, 0));
  out.bytes(metaBody.concat());
  out.text(0x0008, 0x0016, 'UI', SC_SOP_CLASS, '\0');
  out.text(0x0008, 0x0018, 'UI', INSTANCE, '\0');
  out.us(0x0028, 0x0002, layout.samplesPerPixel);
  out.text(0x0028, 0x0004, 'CS', layout.photometric);
  out.us(0x0028, 0x0010, layout.rows);
  out.us(0x0028, 0x0011, layout.columns);
  out.us(0x0028, 0x0100, layout.bitsAllocated);
  out.us(0x0028, 0x0101, layout.bitsStored);
  out.us(0x0028, 0x0102, layout.highBit);
  out.us(0x0028, 0x0103, layout.pixelRepresentation);
  out.tag(0x7fe0, 0x0010);
  out.bytes(Uint8Array.from('OB\0\0', (c) => c.charCodeAt(0)));
  out.u32(0xffffffff);
  out.tag(0xfffe, 0xe000);
  out.u32(0); // empty Basic Offset Table
  const padded = frame.length % 2 ? new Uint8Array(frame.length + 1) : frame;
  if (padded !== frame) padded.set(frame);
  out.tag(0xfffe, 0xe000);
  out.u32(padded.length);
  out.bytes(padded);
  out.tag(0xfffe, 0xe0dd);
  out.u32(0);
  return out.concat();
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
