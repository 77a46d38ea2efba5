/**
 * Huffman tables and the entropy-coded bit reader shared by the JPEG decoders (ITU T.81
 * Annex C, F.2.2 and H.2). Codes up to LOOKUP_BITS long resolve with one table look-up; longer
 * ones fall back to the MAXCODE / VALPTR search of F.2.2.3. Bits are peeked from a 32-bit
 * buffer refilled a byte at a time: FF 00 is a stuffed FF; any other FF xx is a marker, where
 * the reader stops and feeds zero bits, counting them so that a truncated scan is detected.
 */
import { CodecFailure } from './wasm';

export const LOOKUP_BITS = 12;
const LOOKUP_SIZE = 1 << LOOKUP_BITS;

export class JpegCorrupt extends CodecFailure {}

export interface HuffmanTable {
  /** (symbol << 8) | code length, for every LOOKUP_BITS-bit prefix; 0 where the code is longer or invalid. */
  lookup: Int32Array;
  /** Largest code of each length (index 1..16), -1 where no code has that length. */
  maxcode: Int32Array;
  /** Smallest code of each length. */
  mincode: Int32Array;
  /** Index into `values` of the first symbol of each length. */
  valptr: Int32Array;
  values: Uint8Array;
  /** Lossless only: prefix → whole difference (see `losslessLookup`), built on first use. */
  diffLookup: Int32Array | null;
}

/** Builds a table from the BITS counts (16 entries) and HUFFVAL symbols of a DHT segment. */
export function buildHuffmanTable(counts: ArrayLike<number>, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const mincode = new Int32Array(17);
  const valptr = new Int32Array(17);
  const lookup = new Int32Array(LOOKUP_SIZE);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++) {
      if (code >= 1 << len) throw new JpegCorrupt('a Huffman table defines more codes than its code lengths allow');
      if (len <= LOOKUP_BITS) {
        const shift = LOOKUP_BITS - len;
        const entry = (values[k]! << 8) | len;
        const base = code << shift;
        lookup.fill(entry, base, base + (1 << shift));
      }
      code++;
      k++;
    }
    if (n > 0) maxcode[len] = code - 1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff; // sentinel: the search below stops at length 16
  return { lookup, maxcode, mincode, valptr, values, diffLookup: null };
}

/** Entry flags of the lossless difference look-up. */
const DIFF_PARTIAL = 0x40;
/** Prefix length of the lossless difference look-up: most code + extra-bit pairs of noisy 16-bit data fit. */
const DIFF_BITS = 14;

/**
 * For process 14: a look-up that yields the whole difference (Huffman code plus its extra bits)
 * when both fit in DIFF_BITS: (difference << 8) | bits used. Otherwise, for a short code,
 * (SSSS << 8) | DIFF_PARTIAL | code length; 0 for a long or invalid code.
 */
export function losslessLookup(table: HuffmanTable): Int32Array {
  if (table.diffLookup) return table.diffLookup;
  const out = new Int32Array(1 << DIFF_BITS);
  for (let prefix = 0; prefix < 1 << DIFF_BITS; prefix++) {
    let len = 0;
    let ssss = 0;
    const e = table.lookup[prefix >>> (DIFF_BITS - LOOKUP_BITS)]!;
    if (e !== 0) {
      len = e & 0xff;
      ssss = e >>> 8;
    } else {
      for (let l = LOOKUP_BITS + 1; l <= DIFF_BITS; l++) {
        const code = prefix >>> (DIFF_BITS - l);
        if (code <= table.maxcode[l]!) {
          len = l;
          ssss = table.values[table.valptr[l]! + code - table.mincode[l]!]!;
          break;
        }
      }
    }
    if (len === 0 || ssss > 16) continue; // long or invalid code, or invalid category: the slow path decides
    if (ssss === 0) out[prefix] = len;
    else if (ssss === 16) out[prefix] = (32768 << 8) | len;
    else if (len + ssss <= DIFF_BITS) {
      let v = (prefix >>> (DIFF_BITS - len - ssss)) & ((1 << ssss) - 1);
      if (v < 1 << (ssss - 1)) v += 1 - (1 << ssss);
      out[prefix] = (v * 256) | (len + ssss);
    } else out[prefix] = (ssss << 8) | DIFF_PARTIAL | len;
  }
  table.diffLookup = out;
  return out;
}

/**
 * The entropy-coded segment reader. Each restart interval is first copied out of the codestream
 * with byte stuffing removed, up to the marker that ends it, followed by `pad` zero bytes, so
 * that refills need no marker checks. Callers run `guard()` once per row or MCU (which must
 * consume fewer than `pad` bytes): reading into the padding is how a truncated scan shows.
 * State is public so hot loops can copy it into locals.
 */
export class BitReader {
  buf = 0;
  /** Valid bits in the low end of `buf`. */
  cnt = 0;
  /** Next byte of `clean` to load. */
  pos = 0;
  /** Bytes of real data in `clean`. */
  avail = 0;
  clean: Uint8Array;
  /** Where unstuffing stopped in the codestream: the marker after the current interval. */
  srcPos: number;

  constructor(
    readonly data: Uint8Array,
    start: number,
    private readonly pad: number,
  ) {
    this.clean = new Uint8Array(Math.max(0, data.length - start) + pad);
    this.srcPos = start;
    this.load();
  }

  private load(): void {
    const data = this.data;
    const clean = this.clean;
    let s = this.srcPos;
    let o = 0;
    // Runs between FF bytes are copied whole: a byte loop is several times slower.
    for (;;) {
      const ff = data.indexOf(0xff, s);
      const stop = ff < 0 ? data.length : ff;
      clean.set(data.subarray(s, stop), o);
      o += stop - s;
      s = stop;
      if (ff < 0 || data[ff + 1] !== 0) break; // the end, a marker, or fill bytes before one
      clean[o++] = 0xff;
      s += 2;
    }
    clean.fill(0, o, Math.min(clean.length, o + this.pad));
    this.avail = o;
    this.srcPos = s;
    this.pos = 0;
    this.buf = 0;
    this.cnt = 0;
  }

  /** Makes at least 16 bits available. */
  fill(): void {
    const c = this.clean;
    while (this.cnt < 16) {
      this.buf = (this.buf << 8) | c[this.pos++]!;
      this.cnt += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }

  /** F.2.2.1 RECEIVE + EXTEND. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v + 1 - (1 << s) : v;
  }

  decode(t: HuffmanTable): number {
    if (this.cnt < 16) this.fill();
    const e = t.lookup[(this.buf >>> (this.cnt - LOOKUP_BITS)) & (LOOKUP_SIZE - 1)]!;
    if (e !== 0) {
      this.cnt -= e & 0xff;
      return e >>> 8;
    }
    return decodeLong(this, t);
  }

  /** Throws once the decoder has consumed bits that the data does not hold. */
  guard(): void {
    if (this.pos > this.avail && this.pos * 8 - this.cnt > this.avail * 8) {
      throw new JpegCorrupt('the compressed data ends before the image is complete (truncated or corrupt scan)');
    }
  }

  /** Moves to the RSTn marker expected after a restart interval and loads the next interval. */
  restart(index: number): void {
    this.guard();
    const data = this.data;
    let p = this.srcPos;
    while (p + 1 < data.length && data[p] === 0xff && data[p + 1] === 0xff) p++; // fill bytes
    const expected = 0xd0 + (index & 7);
    if (p + 1 >= data.length || data[p] !== 0xff || data[p + 1] !== expected) {
      throw new JpegCorrupt(`restart marker RST${index & 7} is missing where a restart interval ends (corrupt scan)`);
    }
    this.srcPos = p + 2;
    this.load();
  }
}

/** Codes longer than LOOKUP_BITS (F.2.2.3 DECODE); `cnt >= 16` on entry. */
export function decodeLong(r: BitReader, t: HuffmanTable): number {
  for (let len = LOOKUP_BITS + 1; len <= 16; len++) {
    const code = (r.buf >>> (r.cnt - len)) & ((1 << len) - 1);
    if (code <= t.maxcode[len]!) {
      r.cnt -= len;
      return t.values[t.valptr[len]! + code - t.mincode[len]!]!;
    }
  }
  throw new JpegCorrupt('the compressed data holds a Huffman code that no table defines (corrupt scan)');
}

/** Bytes one lossless sample can take at most (16-bit code, 15 extra bits), for the reader's padding. */
export const MAX_DIFF_BYTES = 4;

/** Difference category of a slow-path code; 0 and 16 carry no extra bits. */
function checkedCategory(ssss: number): number {
  if (ssss > 16) throw new JpegCorrupt(`a lossless Huffman table holds the difference category ${ssss}, above the maximum of 16`);
  return ssss;
}

/**
 * Process 14: decodes `count` differences into `out[start...]`, cycling through `tables` (one
 * per component of an interleaved scan).
 */
export function decodeDiffs(r: BitReader, tables: HuffmanTable[], out: Int32Array, start: number, count: number): void {
  const c = r.clean;
  let { buf, cnt, pos } = r;
  const nt = tables.length;
  const diffTables = tables.map(losslessLookup);
  let ti = 0;
  let table = tables[0]!;
  let lut = diffTables[0]!;
  const end = start + count;
  for (let i = start; i < end; i++) {
    if (nt > 1) {
      table = tables[ti]!;
      lut = diffTables[ti]!;
      if (++ti === nt) ti = 0;
    }
    if (cnt < 16) {
      buf = (buf << 16) | (c[pos]! << 8) | c[pos + 1]!;
      pos += 2;
      cnt += 16;
    }
    const e = lut[(buf >>> (cnt - DIFF_BITS)) & ((1 << DIFF_BITS) - 1)]!;
    let diff: number;
    if ((e & DIFF_PARTIAL) === 0 && e !== 0) {
      cnt -= e & 0x3f;
      diff = e >> 8;
    } else {
      let ssss: number;
      if (e !== 0) {
        cnt -= e & 0x3f;
        ssss = e >>> 8;
      } else {
        r.buf = buf;
        r.cnt = cnt;
        ssss = checkedCategory(decodeLong(r, table));
        cnt = r.cnt;
      }
      if (ssss === 0) diff = 0;
      else if (ssss === 16) diff = 32768;
      else {
        if (cnt < ssss) {
          buf = (buf << 16) | (c[pos]! << 8) | c[pos + 1]!;
          pos += 2;
          cnt += 16;
        }
        cnt -= ssss;
        const v = (buf >>> cnt) & ((1 << ssss) - 1);
        diff = v < 1 << (ssss - 1) ? v + 1 - (1 << ssss) : v;
      }
    }
    out[i] = diff;
  }
  r.buf = buf;
  r.cnt = cnt;
  r.pos = pos;
}

/**
 * The common case of process 14, one component with predictor 1: decodes `count` samples into
 * `out[start...]`, each the previous one plus its difference, the first from `first`.
 */
export function decodeRowPredictor1(r: BitReader, table: HuffmanTable, out: Uint16Array, start: number, count: number, first: number): void {
  const c = r.clean;
  const lut = losslessLookup(table);
  let { buf, cnt, pos } = r;
  let ra = first;
  const end = start + count;
  for (let i = start; i < end; i++) {
    if (cnt < 16) {
      buf = (buf << 16) | (c[pos]! << 8) | c[pos + 1]!;
      pos += 2;
      cnt += 16;
    }
    const e = lut[(buf >>> (cnt - DIFF_BITS)) & ((1 << DIFF_BITS) - 1)]!;
    if ((e & DIFF_PARTIAL) === 0 && e !== 0) {
      cnt -= e & 0x3f;
      ra = (ra + (e >> 8)) & 0xffff;
      out[i] = ra;
      continue;
    }
    let ssss: number;
    if (e !== 0) {
      cnt -= e & 0x3f;
      ssss = e >>> 8;
    } else {
      r.buf = buf;
      r.cnt = cnt;
      ssss = checkedCategory(decodeLong(r, table));
      cnt = r.cnt;
    }
    let diff = 0;
    if (ssss === 16) diff = 32768;
    else if (ssss !== 0) {
      if (cnt < ssss) {
        buf = (buf << 16) | (c[pos]! << 8) | c[pos + 1]!;
        pos += 2;
        cnt += 16;
      }
      cnt -= ssss;
      const v = (buf >>> cnt) & ((1 << ssss) - 1);
      diff = v < 1 << (ssss - 1) ? v + 1 - (1 << ssss) : v;
    }
    ra = (ra + diff) & 0xffff;
    out[i] = ra;
  }
  r.buf = buf;
  r.cnt = cnt;
  r.pos = pos;
}
