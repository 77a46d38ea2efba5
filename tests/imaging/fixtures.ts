/** Where the read-only shared fixtures live: `../shared` from the repository root, wherever the checkout is. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCompressedFrame } from '../../electron/imaging/codecs/index';
import { ImagingError } from '../../electron/imaging/index';
import type { PixelLayout } from '../../electron/imaging/types';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sharedDir(): string {
  const candidates = [process.env.CANDOR_SHARED, join(root, 'shared'), resolve(root, '..', 'shared'), '/work/shared'];
  for (const c of candidates) if (c && existsSync(join(c, 'fixtures', 'dicom', 'manifest.json'))) return c;
  throw new Error(`shared fixtures not found (looked in ${candidates.filter(Boolean).join(', ')}); set CANDOR_SHARED`);
}

export const SHARED = sharedDir();
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
