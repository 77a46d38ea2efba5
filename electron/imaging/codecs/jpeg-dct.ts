/**
 * Baseline and extended sequential DCT JPEG with Huffman coding (ITU T.81 processes 1, 2 and 4:
 * SOF0 / SOF1, 8- and 12-bit precision), one to four components with any integer sampling
 * ratios, interleaved or one scan per component, restart intervals. The inverse DCT is the
 * integer one of the IJG library (below), results clamped to the sample range.
 * Chroma is upsampled as libjpeg does by default (triangular "fancy" filter for 2x1 and 2x2,
 * replication otherwise), and YCbCr is turned into RGB unless the stream says it is RGB.
 */
import { BitReader, JpegCorrupt, type HuffmanTable } from './jpeg-huffman';
import { JpegSegments, type JpegFrame, type JpegScan } from './jpeg-segments';

export interface DecodedDct {
  width: number;
  height: number;
  components: number;
  precision: number;
  /** Pixel-interleaved samples: Uint8Array for 8-bit precision, Uint16Array for 12-bit. */
  samples: Uint8Array | Uint16Array;
  /** True when three YCbCr components were converted to RGB here. */
  convertedToRgb: boolean;
}

/** Zigzag position k → natural (row-major) index in the 8x8 block (Figure A.6). */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
  30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** Component planes padded to whole MCUs. */
interface Plane {
  data: Uint16Array;
  /** Samples per plane row (blocks per line × 8). */
  stride: number;
  /** Rows of the padded plane. */
  rows: number;
  /** Blocks that hold image data, for non-interleaved scans (A.2.2). */
  blocksWide: number;
  blocksHigh: number;
}

/*
 * The inverse DCT is the integer Loeffler–Ligtenberg–Moschytz algorithm ("islow") with 13-bit
 * constants, as the IJG library (and so DCMTK) computes it, so that output matches theirs: 12
 * multiplications per 1-D transform instead of 64, and no float rounding to disagree about.
 */
const CONST_BITS = 13;
const fix = (x: number) => Math.round(x * (1 << CONST_BITS));
const F0_298 = fix(0.298631336);
const F0_390 = fix(0.390180644);
const F0_541 = fix(0.5411961);
const F0_765 = fix(0.765366865);
const F0_899 = fix(0.899976223);
const F1_175 = fix(1.175875602);
const F1_501 = fix(1.501321110);
const F1_847 = fix(1.847759065);
const F1_961 = fix(1.961570560);
const F2_053 = fix(2.053119869);
const F2_562 = fix(2.562915447);
const F3_072 = fix(3.072711026);

const work = new Int32Array(64);

/**
 * Inverse DCT of dequantised coefficients (natural order) into plane samples, level-shifted and
 * clamped. `pass1Bits` is 2 for 8-bit and 1 for 12-bit precision (headroom in 32 bits).
 * The two passes repeat the same butterfly inline, as IJG's jidctint.c does: this runs once per
 * 8×8 block and a shared helper would return eight values per row through an array.
 */
function idctBlock(coef: Int32Array, out: Uint16Array, offset: number, stride: number, pass1Bits: number, center: number, max: number): void {
  const ws = work;
  const shift1 = CONST_BITS - pass1Bits;
  const round1 = 1 << (shift1 - 1);
  // Pass 1: columns, into the workspace scaled up by 2^pass1Bits.
  for (let c = 0; c < 8; c++) {
    const i1 = coef[8 + c]!;
    const i2 = coef[16 + c]!;
    const i3 = coef[24 + c]!;
    const i4 = coef[32 + c]!;
    const i5 = coef[40 + c]!;
    const i6 = coef[48 + c]!;
    const i7 = coef[56 + c]!;
    if ((i1 | i2 | i3 | i4 | i5 | i6 | i7) === 0) {
      const dc = coef[c]! << pass1Bits;
      for (let r = 0; r < 64; r += 8) ws[r + c] = dc;
      continue;
    }
    let z1 = (i2 + i6) * F0_541;
    const e2 = z1 - i6 * F1_847;
    const e3 = z1 + i2 * F0_765;
    const e0 = (coef[c]! + i4) * (1 << CONST_BITS);
    const e1 = (coef[c]! - i4) * (1 << CONST_BITS);
    const t10 = e0 + e3;
    const t13 = e0 - e3;
    const t11 = e1 + e2;
    const t12 = e1 - e2;
    z1 = i7 + i1;
    let z2 = i5 + i3;
    let z3 = i7 + i3;
    let z4 = i5 + i1;
    const z5 = (z3 + z4) * F1_175;
    let o0 = i7 * F0_298;
    let o1 = i5 * F2_053;
    let o2 = i3 * F3_072;
    let o3 = i1 * F1_501;
    z1 *= -F0_899;
    z2 *= -F2_562;
    z3 = z3 * -F1_961 + z5;
    z4 = z4 * -F0_390 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    ws[c] = (t10 + o3 + round1) >> shift1;
    ws[56 + c] = (t10 - o3 + round1) >> shift1;
    ws[8 + c] = (t11 + o2 + round1) >> shift1;
    ws[48 + c] = (t11 - o2 + round1) >> shift1;
    ws[16 + c] = (t12 + o1 + round1) >> shift1;
    ws[40 + c] = (t12 - o1 + round1) >> shift1;
    ws[24 + c] = (t13 + o0 + round1) >> shift1;
    ws[32 + c] = (t13 - o0 + round1) >> shift1;
  }
  // Pass 2: rows, descaled by the constants, 2^pass1Bits and the 8 of the 2-D DCT's normalisation.
  const shift2 = CONST_BITS + pass1Bits + 3;
  const round2 = 1 << (shift2 - 1);
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    const o = offset + r * stride;
    const w0 = ws[w]!;
    const w1 = ws[w + 1]!;
    const w2 = ws[w + 2]!;
    const w3 = ws[w + 3]!;
    const w4 = ws[w + 4]!;
    const w5 = ws[w + 5]!;
    const w6 = ws[w + 6]!;
    const w7 = ws[w + 7]!;
    if ((w1 | w2 | w3 | w4 | w5 | w6 | w7) === 0) {
      let v = ((w0 + (1 << (pass1Bits + 2))) >> (pass1Bits + 3)) + center;
      v = v < 0 ? 0 : v > max ? max : v;
      for (let x = 0; x < 8; x++) out[o + x] = v;
      continue;
    }
    let z1 = (w2 + w6) * F0_541;
    const e2 = z1 - w6 * F1_847;
    const e3 = z1 + w2 * F0_765;
    const e0 = (w0 + w4) * (1 << CONST_BITS);
    const e1 = (w0 - w4) * (1 << CONST_BITS);
    const t10 = e0 + e3;
    const t13 = e0 - e3;
    const t11 = e1 + e2;
    const t12 = e1 - e2;
    z1 = w7 + w1;
    let z2 = w5 + w3;
    let z3 = w7 + w3;
    let z4 = w5 + w1;
    const z5 = (z3 + z4) * F1_175;
    let o0 = w7 * F0_298;
    let o1 = w5 * F2_053;
    let o2 = w3 * F3_072;
    let o3 = w1 * F1_501;
    z1 *= -F0_899;
    z2 *= -F2_562;
    z3 = z3 * -F1_961 + z5;
    z4 = z4 * -F0_390 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    let v: number;
    v = ((t10 + o3 + round2) >> shift2) + center; out[o] = v < 0 ? 0 : v > max ? max : v;
    v = ((t10 - o3 + round2) >> shift2) + center; out[o + 7] = v < 0 ? 0 : v > max ? max : v;
    v = ((t11 + o2 + round2) >> shift2) + center; out[o + 1] = v < 0 ? 0 : v > max ? max : v;
    v = ((t11 - o2 + round2) >> shift2) + center; out[o + 6] = v < 0 ? 0 : v > max ? max : v;
    v = ((t12 + o1 + round2) >> shift2) + center; out[o + 2] = v < 0 ? 0 : v > max ? max : v;
    v = ((t12 - o1 + round2) >> shift2) + center; out[o + 5] = v < 0 ? 0 : v > max ? max : v;
    v = ((t13 + o0 + round2) >> shift2) + center; out[o + 3] = v < 0 ? 0 : v > max ? max : v;
    v = ((t13 - o0 + round2) >> shift2) + center; out[o + 4] = v < 0 ? 0 : v > max ? max : v;
  }
}

class ScanDecoder {
  private readonly coef = new Int32Array(64);
  private readonly center: number;
  private readonly max: number;
  private readonly pass1Bits: number;
  private readonly maxCategory: number;

  constructor(
    private readonly reader: BitReader,
    precision: number,
  ) {
    this.center = 1 << (precision - 1);
    this.max = (1 << precision) - 1;
    this.pass1Bits = precision === 8 ? 2 : 1;
    this.maxCategory = precision + 3; // DC differences of 12-bit data reach category 15
  }

  /** Decodes one block (F.2.2) and writes its samples; returns the new DC prediction. */
  block(dc: HuffmanTable, ac: HuffmanTable, quant: Int32Array, pred: number, plane: Plane, offset: number): number {
    const r = this.reader;
    const coef = this.coef;
    coef.fill(0);
    const t = r.decode(dc);
    if (t > this.maxCategory) throw new JpegCorrupt(`a JPEG DC difference has category ${t}, above the maximum of ${this.maxCategory} (corrupt Huffman table or scan)`);
    pred += r.receiveExtend(t);
    coef[0] = pred * quant[0]!;
    for (let k = 1; k < 64; ) {
      const rs = r.decode(ac);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run !== 15) break; // end of block
        k += 16;
        continue;
      }
      k += run;
      if (k > 63) throw new JpegCorrupt('a JPEG block codes a coefficient beyond the 64th (corrupt scan)');
      coef[ZIGZAG[k]!] = r.receiveExtend(s) * quant[k]!;
      k++;
    }
    idctBlock(coef, plane.data, offset, plane.stride, this.pass1Bits, this.center, this.max);
    return pred;
  }
}

function decodeScan(data: Uint8Array, frame: JpegFrame, scan: JpegScan, planes: Plane[]): number {
  if (scan.ss !== 0 || scan.se !== 63 || scan.ah !== 0 || scan.al !== 0) {
    throw new JpegCorrupt(`the JPEG scan has spectral selection ${scan.ss}..${scan.se} and approximation ${scan.ah}/${scan.al}, which a sequential JPEG cannot have`);
  }
  const comps = scan.components.map((c) => {
    if (!c.dc || !c.ac) throw new JpegCorrupt(`the JPEG scan uses a Huffman table that is not defined (component ${c.index + 1})`);
    if (!c.quant) throw new JpegCorrupt(`the JPEG scan uses a quantisation table that is not defined (component ${c.index + 1})`);
    const fc = frame.components[c.index]!;
    return { dc: c.dc, ac: c.ac, quant: c.quant, plane: planes[c.index]!, h: fc.h, v: fc.v, pred: 0 };
  });
  const single = comps.length === 1;
  const blocksPerMcu = single ? 1 : comps.reduce((n, c) => n + c.h * c.v, 0);
  if (blocksPerMcu > 10) throw new JpegCorrupt(`the JPEG scan has ${blocksPerMcu} blocks per MCU; at most 10 are allowed`);
  // A block takes at most 64 codes of 16 bits with 16 extra bits each.
  const reader = new BitReader(data, scan.dataStart, blocksPerMcu * 64 * 4 + 64);
  const decoder = new ScanDecoder(reader, frame.precision);
  const mcusWide = single ? comps[0]!.plane.blocksWide : Math.ceil(frame.width / (8 * frame.hmax));
  const mcusHigh = single ? comps[0]!.plane.blocksHigh : Math.ceil(frame.height / (8 * frame.vmax));
  const total = mcusWide * mcusHigh;
  const ri = scan.restartInterval;
  let restarts = 0;
  for (let m = 0; m < total; m++) {
    if (ri > 0 && m > 0 && m % ri === 0) {
      reader.restart(restarts++);
      for (const c of comps) c.pred = 0;
    }
    const mx = m % mcusWide;
    const my = (m - mx) / mcusWide;
    for (const c of comps) {
      const { plane } = c;
      if (single) {
        c.pred = decoder.block(c.dc, c.ac, c.quant, c.pred, plane, my * 8 * plane.stride + mx * 8);
        continue;
      }
      for (let by = 0; by < c.v; by++) {
        for (let bx = 0; bx < c.h; bx++) {
          const offset = (my * c.v + by) * 8 * plane.stride + (mx * c.h + bx) * 8;
          c.pred = decoder.block(c.dc, c.ac, c.quant, c.pred, plane, offset);
        }
      }
    }
    reader.guard();
  }
  return reader.srcPos;
}

/** One component at full resolution (width × height), upsampled as libjpeg's default does. */
function upsample(plane: Plane, sx: number, sy: number, width: number, height: number): Uint16Array {
  const out = new Uint16Array(width * height);
  const { data, stride } = plane;
  const cw = Math.ceil(width / sx); // component samples per row that hold image data
  const ch = Math.ceil(height / sy);
  if (sx === 1 && sy === 1) {
    for (let y = 0; y < height; y++) out.set(data.subarray(y * stride, y * stride + width), y * width);
    return out;
  }
  if (sx === 2 && (sy === 1 || sy === 2)) {
    // Triangular filter (libjpeg h2v1 / h2v2 "fancy" upsampling): 3/4 nearer sample, 1/4 farther.
    const colsum = new Int32Array(cw);
    for (let y = 0; y < height; y++) {
      const cy = sy === 1 ? y : y >> 1;
      const near = cy * stride;
      const farRow = sy === 1 ? cy : y & 1 ? Math.min(cy + 1, ch - 1) : Math.max(cy - 1, 0);
      const far = farRow * stride;
      for (let x = 0; x < cw; x++) colsum[x] = sy === 1 ? data[near + x]! : 3 * data[near + x]! + data[far + x]!;
      const o = y * width;
      const scale = sy === 1 ? 4 : 16;
      const bias = sy === 1 ? [1, 2] : [8, 7];
      const put = (x: number, v: number) => {
        if (x < width) out[o + x] = v;
      };
      if (cw === 1) {
        put(0, sy === 1 ? colsum[0]! : (colsum[0]! * 4 + 8) >> 4);
        put(1, sy === 1 ? colsum[0]! : (colsum[0]! * 4 + 7) >> 4);
        continue;
      }
      put(0, sy === 1 ? colsum[0]! : (colsum[0]! * 4 + 8) >> 4);
      put(1, Math.floor((colsum[0]! * 3 + colsum[1]! + bias[1]!) / scale));
      for (let x = 1; x < cw - 1; x++) {
        put(2 * x, Math.floor((colsum[x]! * 3 + colsum[x - 1]! + bias[0]!) / scale));
        put(2 * x + 1, Math.floor((colsum[x]! * 3 + colsum[x + 1]! + bias[1]!) / scale));
      }
      const last = cw - 1;
      put(2 * last, Math.floor((colsum[last]! * 3 + colsum[last - 1]! + bias[0]!) / scale));
      put(2 * last + 1, sy === 1 ? colsum[last]! : (colsum[last]! * 4 + 7) >> 4);
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / sy) * stride;
    for (let x = 0; x < width; x++) out[y * width + x] = data[row + Math.floor(x / sx)]!;
  }
  return out;
}

export function decodeJpegDct(encoded: Uint8Array): DecodedDct {
  const segments = new JpegSegments(encoded);
  let scan = segments.nextScan();
  const frame = segments.frame;
  if (!frame) throw new JpegCorrupt('the JPEG data holds no frame header');
  if (frame.sof === 0xc2) throw new JpegCorrupt('progressive JPEG (SOF 0xc2) is not supported');
  if (frame.sof !== 0xc0 && frame.sof !== 0xc1) throw new JpegCorrupt(`expected a sequential DCT JPEG frame (SOF 0xc0 or 0xc1), found SOF 0x${frame.sof.toString(16)}`);
  const { width, height, precision } = frame;
  if (precision !== 8 && (precision !== 12 || frame.sof === 0xc0)) throw new JpegCorrupt(`${frame.sof === 0xc0 ? 'baseline' : 'extended'} JPEG cannot have ${precision}-bit precision`);
  const nc = frame.components.length;
  if (nc !== 1 && nc !== 3) throw new JpegCorrupt(`JPEG with ${nc} components is not supported (only 1 or 3)`);
  for (const c of frame.components) {
    if (frame.hmax % c.h !== 0 || frame.vmax % c.v !== 0) throw new JpegCorrupt(`JPEG sampling factors ${c.h}x${c.v} do not divide ${frame.hmax}x${frame.vmax}`);
  }
  const mcusWide = Math.ceil(width / (8 * frame.hmax));
  const mcusHigh = Math.ceil(height / (8 * frame.vmax));
  const planes: Plane[] = frame.components.map((c) => {
    const stride = mcusWide * c.h * 8;
    const rows = mcusHigh * c.v * 8;
    return {
      data: new Uint16Array(stride * rows),
      stride,
      rows,
      blocksWide: Math.ceil(Math.ceil((width * c.h) / frame.hmax) / 8),
      blocksHigh: Math.ceil(Math.ceil((height * c.v) / frame.vmax) / 8),
    };
  });
  const done = new Array<boolean>(nc).fill(false);
  if (!scan) throw new JpegCorrupt('the JPEG data holds no scan');
  while (scan) {
    for (const c of scan.components) {
      if (done[c.index]) throw new JpegCorrupt(`JPEG component ${c.index + 1} is coded in more than one scan`);
      done[c.index] = true;
    }
    segments.endScan(decodeScan(encoded, frame, scan, planes));
    if (done.every(Boolean)) break;
    scan = segments.nextScan();
  }
  const missing = done.indexOf(false);
  if (missing >= 0) throw new JpegCorrupt(`the JPEG data ends before component ${missing + 1} is coded`);

  const full = frame.components.map((c, i) => upsample(planes[i]!, frame.hmax / c.h, frame.vmax / c.v, width, height));
  const n = width * height;
  const samples = precision === 8 ? new Uint8Array(n * nc) : new Uint16Array(n * nc);
  if (nc === 1) {
    samples.set(full[0]!);
    return { width, height, components: 1, precision, samples, convertedToRgb: false };
  }
  const ids = frame.components.map((c) => c.id);
  const rgbIds = ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42;
  const transform = segments.jfif || (segments.adobeTransform !== null ? segments.adobeTransform !== 0 : !rgbIds);
  const [c0, c1, c2] = full as [Uint16Array, Uint16Array, Uint16Array];
  const max = (1 << precision) - 1;
  const half = 1 << (precision - 1);
  const clamp = (v: number) => (v < 0 ? 0 : v > max ? max : v);
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    if (!transform) {
      samples[o] = c0[i]!;
      samples[o + 1] = c1[i]!;
      samples[o + 2] = c2[i]!;
      continue;
    }
    // The IJG fixed-point form of the JFIF equations (16 fraction bits, rounded), as DCMTK decodes.
    const y = c0[i]!;
    const cb = c1[i]! - half;
    const cr = c2[i]! - half;
    samples[o] = clamp(y + ((91881 * cr + 32768) >> 16));
    samples[o + 1] = clamp(y + ((-22554 * cb - 46802 * cr + 32768) >> 16));
    samples[o + 2] = clamp(y + ((116130 * cb + 32768) >> 16));
  }
  return { width, height, components: 3, precision, samples, convertedToRgb: transform };
}
