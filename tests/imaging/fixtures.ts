/** Where the read-only shared fixtures live (tests/shared-fixtures.ts), and helpers to read them. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCompressedFrame } from '../../electron/imaging/codecs/index';
import { ImagingError } from '../../electron/imaging/index';
import type { PixelLayout } from '../../electron/imaging/types';
import { SHARED } from '../shared-fixtures';

export { SHARED };
export const DICOM_FIXTURES = join(SHARED, 'fixtures', 'dicom');

/** Raw 8-bit samples of a binary PGM/PPM as dcm2pnm writes it (P5/P6, width, height, max; no comments). */
export function readPnm(path: string): Uint8Array {
  const buf = readFileSync(path);
  let fields = 0;
  let i = 0;
  while (fields < 4) {
    while (/\s/.test(String.fromCharCode(buf[i]!))) i++;
    while (!/\s/.test(String.fromCharCode(buf[i]!))) i++;
    fields++;
  }
  return new Uint8Array(buf.subarray(i + 1));
}

/** Whether every named command-line tool (DCMTK's, for the comparisons) runs here. */
export function hasTools(...names: string[]): boolean {
  try {
    for (const n of names) execFileSync(n, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Decoding corrupt frame data must fail with an ImagingError that names the file; returns it. */
export async function decodeRefusal(bytes: Uint8Array, layout: PixelLayout, syntax: string): Promise<ImagingError> {
  try {
    await decodeCompressedFrame('broken.dcm', syntax, layout, bytes);
  } catch (err) {
    assert.ok(err instanceof ImagingError, `not an ImagingError: ${String(err)}`);
    assert.equal(err.file, 'broken.dcm');
    return err;
  }
  assert.fail('corrupt data was decoded without an error');
}
