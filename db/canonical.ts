/**
 * Canonical JSON and hashing for the audit log.
 *
 * Hashes must be reproducible years later from the stored rows alone, so every value that
 * feeds a hash goes through one canonical text form: object keys sorted, no whitespace,
 * and numbers JSON cannot carry (NaN, ±Infinity, -0) written as tagged objects so that a
 * metric that was NaN on screen is still NaN when redrawn.
 */
import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NUM_TAG = '$f64';

function encodeNumber(n: number): Json {
  if (Number.isNaN(n)) return { [NUM_TAG]: 'NaN' };
  if (n === Infinity) return { [NUM_TAG]: 'Infinity' };
  if (n === -Infinity) return { [NUM_TAG]: '-Infinity' };
  if (Object.is(n, -0)) return { [NUM_TAG]: '-0' };
  return n;
}

/** Sorted-key JSON text; undefined object members are dropped (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(toCanonical(value, '$'));
}

function toCanonical(value: unknown, where: string): Json {
  if (value === null) return null;
  switch (typeof value) {
    case 'number':
      return encodeNumber(value);
    case 'boolean':
    case 'string':
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot store ${typeof value} at ${where}`);
  }
  if (Array.isArray(value)) return value.map((v, i) => toCanonical(v === undefined ? null : v, `${where}[${i}]`));
  if (ArrayBuffer.isView(value)) throw new TypeError(`typed arrays are stored as blobs, not JSON (at ${where})`);
  const obj = value as Record<string, unknown>;
  const out: { [k: string]: Json } = {};
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    out[key] = toCanonical(v, `${where}.${key}`);
  }
  return out;
}

/** canonicalJson for a flat list of strings, finite numbers and nulls (hash headers): no tree walk. */
export function canonicalFlat(values: readonly (string | number | null)[]): string {
  for (const v of values) {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: canonicalJson gives this same text for any flat list; the test only picks the quicker way
    if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return canonicalJson(values);
  }
  return JSON.stringify(values);
}

/** Inverse of canonicalJson: restores the tagged non-finite numbers. */
export function parseCanonical(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // A walk after parsing is much cheaper than a JSON.parse reviver (called for every member).
  // Stryker disable next-line StringLiteral: without the tag in the text no object has it, and the walk changes nothing
  return text.includes(`"${NUM_TAG}"`) ? restoreTagged(value) : value;
}

/** The number a tag stands for: an object whose only member is the tag key, naming one of four values. */
function tagValue(v: Record<string, unknown>): number | undefined {
  for (const k in v) if (k !== NUM_TAG) return undefined;
  switch (v[NUM_TAG]) {
    case 'NaN': return NaN;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
    case '-0': return -0;
  }
  return undefined;
}

// The type tests below only skip values with nothing to restore (a primitive goes through
// unchanged, an array through the object path alike): a mutant of them changes the speed alone.

function restoreTagged(value: unknown): unknown {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: see above
  if (value === null || typeof value !== 'object') return value;
  // Stryker disable next-line ConditionalExpression,BlockStatement: see above
  if (Array.isArray(value)) {
    // Stryker disable next-line EqualityOperator: value[value.length] is undefined, which is skipped
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      // Stryker disable next-line ConditionalExpression,LogicalOperator: see above
      if (v !== null && typeof v === 'object') value[i] = restoreTagged(v);
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  const tagged = tagValue(obj);
  if (tagged !== undefined) return tagged;
  for (const k in obj) {
    const v = obj[k];
    // Stryker disable next-line ConditionalExpression,LogicalOperator: see above
    if (v !== null && typeof v === 'object') obj[k] = restoreTagged(v);
  }
  return obj;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const GENESIS_HASH = '0'.repeat(64);
