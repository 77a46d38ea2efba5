/**
 * multipart/related (RFC 2387) as DICOMweb uses it: WADO-RS answers with one part per instance,
 * STOW-RS sends one. Parts are found by the boundary of the Content-Type header.
 */
import { randomBytes } from 'node:crypto';

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** The boundary parameter of a multipart Content-Type, or null. */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return null;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

/** Splits a multipart body; throws with a plain reason when it is not one (the caller names the node). */
export function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  // Inside the body a delimiter always follows a CRLF (RFC 2046 5.1.1), which binary data rarely mimics.
  const inner = Buffer.from(`\r\n--${boundary}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error(`the multipart body has no boundary "${boundary}"`);
  for (;;) {
    let start = at + delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) return parts;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(inner, start);
    if (next < 0) throw new Error('the multipart body ends inside a part (the transfer was cut off)');
    const part = body.subarray(start, next);
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) throw new Error('a multipart part has no header block');
    parts.push({ headers: parseHeaders(part.subarray(0, split).toString('latin1')), body: part.subarray(split + 4) });
    at = next + 2;
  }
}

/** A multipart/related body of DICOM Part 10 files, and its Content-Type. */
export function buildMultipart(files: Uint8Array[], type = 'application/dicom'): { body: Buffer<ArrayBuffer>; contentType: string } {
  const boundary = `candor-${randomBytes(16).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`, 'latin1'), Buffer.from(f.buffer, f.byteOffset, f.byteLength), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="${type}"; boundary=${boundary}` };
}
