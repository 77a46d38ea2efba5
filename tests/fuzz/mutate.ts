/**
 * Mutations of valid files for the imaging fuzzer: bit flips, truncation, corrupted length
 * fields, inserted or re-tagged elements, and extreme values in the Image Pixel attributes.
 * Everything is driven by a seeded PRNG so a failing case can be replayed from its number.
 */
import dicomParser from 'dicom-parser';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  /** xorshift32: small, fast and plenty for choosing mutations. */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Where a seed's element headers are, so length fields and values can be hit on purpose. */
export interface ElementSite {
  tag: string;
  /** Offset of the tag itself. */
  start: number;
  lengthOffset: number;
  lengthBytes: 2 | 4;
  dataOffset: number;
  length: number;
}

export interface Seed {
  name: string;
  bytes: Uint8Array;
  elements: ElementSite[];
  explicit: boolean;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export function makeSeed(name: string, bytes: Uint8Array): Seed {
  const elements: ElementSite[] = [];
  let explicit = true;
  try {
    const ds = dicomParser.parseDicom(bytes);
    const ts = ds.string('x00020010');
    explicit = ts !== '1.2.840.10008.1.2';
    if (ts === '1.2.840.10008.1.2.1.99') return { name, bytes, elements, explicit }; // offsets refer to the inflated stream
    const visit = (set: typeof ds) => {
      for (const [tag, el] of Object.entries(set.elements)) {
        const isMeta = tag.startsWith('x0002');
        const exp = isMeta || explicit;
        const long = !exp || LONG_VRS.has(el.vr ?? '') || el.vr === undefined;
        const lengthBytes: 2 | 4 = exp && !long ? 2 : 4;
        const headerLen = exp ? (long ? 12 : 8) : 8;
        elements.push({ tag, start: el.dataOffset - headerLen, lengthOffset: el.dataOffset - lengthBytes, lengthBytes, dataOffset: el.dataOffset, length: el.length });
        for (const item of el.items ?? []) if (item.dataSet) visit(item.dataSet);
      }
    };
    visit(ds);
  } catch {
    // not DICOM (PNG/JPEG seeds) or not parseable: byte-level mutations only
  }
  return { name, bytes, elements, explicit };
}

const PIXEL_TAGS = ['x00280002', 'x00280004', 'x00280006', 'x00280008', 'x00280010', 'x00280011', 'x00280100', 'x00280101', 'x00280102', 'x00280103', 'x00281052', 'x00281053', 'x00281050', 'x00281051', 'x00020010'];
const EXTREME_U16 = [0, 1, 2, 3, 4, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 64, 255, 256, 0x7fff, 0x8000, 0xfffe, 0xffff];
const EXTREME_U32 = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xfff0, 0x10000];
const VRS = ['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'TM', 'UI', 'UL', 'UN', 'US', 'UT', 'XX'];
const STRING_VALUES = ['', '0', '-1', '1e308', 'NaN', '65535', '4294967296', 'MONOCHROME1', 'RGB', 'PALETTE COLOR', 'YBR_FULL_422', 'YBR_FULL', '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.2', '\\\\\\'];

function writeUint(out: Uint8Array, offset: number, bytes: number, value: number): void {
  for (let i = 0; i < bytes && offset + i < out.length; i++) out[offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
}

function randomValue(rng: Rng, bytes: 2 | 4, current: number): number {
  const r = rng.int(4);
  if (r === 0) return rng.pick(bytes === 2 ? EXTREME_U16 : EXTREME_U32);
  if (r === 1) return Math.max(0, current + rng.int(17) - 8);
  if (r === 2) return current * 2 + 2;
  return rng.int(bytes === 2 ? 0x10000 : 0x100000000);
}

export type Mutation = 'bitflip' | 'truncate' | 'length' | 'insert-tag' | 'retag' | 'pixel-attr' | 'bytes' | 'splice';

export function mutate(seed: Seed, rng: Rng): { bytes: Uint8Array; mutation: Mutation } {
  const src = seed.bytes;
  const hasElements = seed.elements.length > 0;
  const choices: Mutation[] = hasElements
    ? ['bitflip', 'bitflip', 'truncate', 'length', 'length', 'insert-tag', 'retag', 'pixel-attr', 'pixel-attr', 'bytes', 'splice']
    : ['bitflip', 'bitflip', 'truncate', 'bytes', 'bytes', 'splice'];
  const mutation = rng.pick(choices);
  switch (mutation) {
    case 'bitflip': {
      const out = src.slice();
      const flips = 1 + rng.int(8);
      // Most structure lives in the first few KiB; codestream headers too.
      const region = rng.next() < 0.6 ? Math.min(out.length, 4096) : out.length;
      for (let i = 0; i < flips; i++) out[rng.int(region)]! ^= 1 << rng.int(8);
      return { bytes: out, mutation };
    }
    case 'truncate':
      return { bytes: src.slice(0, rng.int(src.length)), mutation };
    case 'bytes': {
      const out = src.slice();
      const n = 1 + rng.int(16);
      const at = rng.int(Math.max(1, out.length - n));
      for (let i = 0; i < n; i++) out[at + i] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return { bytes: out, mutation };
    }
    case 'splice': {
      // Duplicate or drop a chunk: shifts everything after it.
      const at = rng.int(src.length);
      const n = 1 + rng.int(64);
      if (rng.next() < 0.5) return { bytes: new Uint8Array([...src.subarray(0, at), ...src.subarray(at + n)]), mutation };
      return { bytes: new Uint8Array([...src.subarray(0, at + n), ...src.subarray(at, at + n), ...src.subarray(at + n)]), mutation };
    }
    case 'length': {
      const out = src.slice();
      const el = rng.pick(seed.elements);
      writeUint(out, el.lengthOffset, el.lengthBytes, randomValue(rng, el.lengthBytes, el.length));
      return { bytes: out, mutation };
    }
    case 'retag': {
      const out = src.slice();
      const el = rng.pick(seed.elements);
      const tag = rng.next() < 0.5 ? rng.pick(PIXEL_TAGS) : `x${rng.int(0x10000).toString(16).padStart(4, '0')}${rng.int(0x10000).toString(16).padStart(4, '0')}`;
      writeUint(out, el.start, 2, parseInt(tag.slice(1, 5), 16));
      writeUint(out, el.start + 2, 2, parseInt(tag.slice(5, 9), 16));
      return { bytes: out, mutation };
    }
    case 'pixel-attr': {
      const out = src.slice();
      const targets = seed.elements.filter((e) => PIXEL_TAGS.includes(e.tag) && e.length > 0);
      const el = targets.length ? rng.pick(targets) : rng.pick(seed.elements);
      if (el.length === 2 || el.length === 4) writeUint(out, el.dataOffset, el.length, randomValue(rng, el.length as 2 | 4, 0));
      else {
        const text = rng.pick(STRING_VALUES).padEnd(el.length, ' ').slice(0, el.length);
        for (let i = 0; i < text.length; i++) out[el.dataOffset + i] = text.charCodeAt(i);
      }
      return { bytes: out, mutation };
    }
    case 'insert-tag': {
      const el = rng.pick(seed.elements);
      const tag = rng.next() < 0.5 ? rng.pick(PIXEL_TAGS) : `x${rng.int(0x10000).toString(16).padStart(4, '0')}${rng.int(0x10000).toString(16).padStart(4, '0')}`;
      const vr = rng.pick(VRS);
      const long = LONG_VRS.has(vr);
      const valueLength = rng.pick([0, 1, 2, 4, 8, rng.int(64)]);
      const claimed = rng.next() < 0.8 ? valueLength : randomValue(rng, long ? 4 : 2, valueLength);
      const header: number[] = [];
      const push = (v: number, n: number) => {
        for (let i = 0; i < n; i++) header.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
      };
      push(parseInt(tag.slice(1, 5), 16), 2);
      push(parseInt(tag.slice(5, 9), 16), 2);
      if (seed.explicit) {
        header.push(vr.charCodeAt(0), vr.charCodeAt(1));
        if (long) {
          push(0, 2);
          push(claimed, 4);
        } else push(claimed, 2);
      } else push(claimed, 4);
      const value = Array.from({ length: valueLength }, () => rng.int(256));
      const at = Math.max(0, el.start);
      return { bytes: new Uint8Array([...src.subarray(0, at), ...header, ...value, ...src.subarray(at)]), mutation };
    }
  }
}
