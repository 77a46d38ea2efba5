/**
 * DICOM instances as the PACS room handles them: Part 10 files read for sending (their UIDs and
 * transfer syntax from the header), and received data sets written back as Part 10 files byte for
 * byte, with our File Meta Information in front.
 */
import { readFile, stat } from 'node:fs/promises';
import { parseDicomBytes, transferSyntaxOf } from '../imaging/dicom-file';
import { str } from '../imaging/dicom-header';
import { fileMetaHeader } from '../imaging/dicom-writer';
import { ImagingError } from '../imaging/errors';
import { MAX_FILE_BYTES } from '../imaging/index';
import { PacsInputError } from './errors';

/** Candor's Implementation Class UID (UUID-derived root 2.25) and version, written into files it saves. */
export const IMPLEMENTATION_CLASS_UID = '2.25.223782368311069454370566911316431871373';
export const IMPLEMENTATION_VERSION = 'CANDOR_1';

export interface InstanceFile {
  file: string;
  bytes: Uint8Array;
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string | null;
  transferSyntax: string;
}

function uid(ds: ReturnType<typeof parseDicomBytes>, tag: string): string | null {
  return str(ds, tag)?.replace(/\0/g, '').trim() || null;
}

/** Reads a Part 10 file to send it; names the file and the missing piece when it cannot be sent. */
export async function readInstance(file: string): Promise<InstanceFile> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new PacsInputError(`${file}: not a file`);
    size = info.size;
  } catch (err) {
    if (err instanceof PacsInputError) throw err;
    throw new PacsInputError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (size > MAX_FILE_BYTES) throw new PacsInputError(`${file}: larger than the 2 GiB one instance may be`);
  const buf = await readFile(file);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== 'DICM') {
    throw new PacsInputError(`${file}: not a DICOM Part 10 file (no "DICM" after the preamble); only Part 10 files can be sent`);
  }
  let ds;
  try {
    ds = parseDicomBytes(file, bytes, { untilTag: 'x7fe00010' });
  } catch (err) {
    if (err instanceof ImagingError) throw new PacsInputError(err.message);
    throw err;
  }
  const sopClassUid = uid(ds, 'x00020002') ?? uid(ds, 'x00080016');
  const sopInstanceUid = uid(ds, 'x00020003') ?? uid(ds, 'x00080018');
  const studyUid = uid(ds, 'x0020000d');
  if (!sopClassUid || !sopInstanceUid || !studyUid) {
    const missing = [!sopClassUid && 'SOP Class UID', !sopInstanceUid && 'SOP Instance UID', !studyUid && 'Study Instance UID'].filter(Boolean).join(', ');
    throw new PacsInputError(`${file}: cannot be sent without ${missing}`);
  }
  return { file, bytes, sopClassUid, sopInstanceUid, studyUid, seriesUid: uid(ds, 'x0020000e'), transferSyntax: transferSyntaxOf(ds) };
}

/** The Study and SOP Instance UIDs in a Part 10 file's header (null when absent); throws when the file is not DICOM. */
export async function studyOfFile(file: string): Promise<{ studyUid: string | null; sopInstanceUid: string | null; bytes: number }> {
  const buf = await readFile(file);
  const ds = parseDicomBytes(file, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { untilTag: 'x7fe00010' });
  return { studyUid: uid(ds, 'x0020000d'), sopInstanceUid: uid(ds, 'x00080018') ?? uid(ds, 'x00020003'), bytes: buf.length };
}

/** The bytes that go in front of a data set received over DIMSE to make it a Part 10 file. */
export function part10Header(sopClassUid: string, sopInstanceUid: string, transferSyntax: string): Uint8Array {
  return fileMetaHeader({ sopClassUid, sopInstanceUid, transferSyntax, implementationClassUid: IMPLEMENTATION_CLASS_UID, implementationVersion: IMPLEMENTATION_VERSION });
}

/** A file name for an instance: its SOP Instance UID when that is a plain UID, else a counter. */
export function instanceFileName(sopInstanceUid: string | null, n: number): string {
  return sopInstanceUid && /^[0-9.]{1,64}$/.test(sopInstanceUid) ? `${sopInstanceUid}.dcm` : `instance-${String(n).padStart(5, '0')}.dcm`;
}
