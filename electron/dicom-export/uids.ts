/**
 * UIDs under the `2.25.` root (PS3.5 B.2): the decimal value of a UUID, which needs no
 * registered organisation root. Objects written for a recorded finding take name-based UUIDs
 * (RFC 4122 version 5, SHA-1) of the finding's event hash and the object's role, so exporting
 * the same finding again (from the app, `candor audit export` or `candor explain`) yields the
 * same instances, and a PACS receiving them twice sees one object, not a duplicate.
 */
import { createHash, randomUUID } from 'node:crypto';

/** The namespace of Candor's name-based UUIDs (a fixed random UUID, chosen once). */
const CANDOR_NAMESPACE = 'a3c0e1f2-5b7d-4c8e-9f60-2d1b3a4c5e6f';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function uidOfBytes(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `2.25.${n.toString(10)}`;
}

/** `2.25.` + a random (version 4) UUID. */
export function randomUid(): string {
  return uidOfBytes(uuidBytes(randomUUID()));
}

/** `2.25.` + the version 5 UUID of `name` in Candor's namespace: the same name, the same UID. */
export function nameUid(name: string): string {
  const hash = createHash('sha1').update(uuidBytes(CANDOR_NAMESPACE)).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return uidOfBytes(bytes);
}

/** A valid UID: at most 64 characters, dot-separated numbers without leading zeros. */
export function isUid(value: string): boolean {
  return value.length <= 64 && /^(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/.test(value);
}
