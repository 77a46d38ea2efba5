/**
 * A small process-14 JPEG encoder for tests: any predictor, point transform, restart intervals
 * (in rows), interleaved or one scan per component. Its output is checked against DCMTK's
 * decoder where DCMTK is installed, so that the decoder is not only checked against itself.
 */

/** Code length per difference category 0..16 (Kraft sum below 1, so no all-ones code is used up). */
const LENGTHS = [2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 9, 8];

function canonicalCodes(): { codes: number[]; counts: number[]; symbols: number[] } {
  const symbols = [...LENGTHS.keys()].sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
  const counts = new Array<number>(16).fill(0);
  for (const s of symbols) counts[LENGTHS[s]! - 1]!++;
  const codes = new Array<number>(17).fill(0);
  let code = 0;
  let len = LENGTHS[symbols[0]!]!;
  for (const s of symbols) {
    while (LENGTHS[s]! > len) {
      code <<= 1;
      len++;
    }
    codes[s] = code++;
  }
  return { codes, counts, symbols };
}

export class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.n = 0;
  }
  /** Pads the last byte with 1-bits (T.81 F.1.2.3). */
  align(): void {
    while (this.n !== 0) this.put(1, 1);
  }
  raw(...b: number[]): void {
    this.bytes.push(...b);
  }
  result(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export interface LosslessOptions {
  width: number;
  height: number;
  /** Pixel-interleaved samples. */
  samples: ArrayLike<number>;
  components: number;
  precision: number;
  predictor: number;
  pointTransform?: number;
  restartRows?: number;
  separateScans?: boolean;
}

function predict(psv: number, ra: number, rb: number, rc: number): number {
  switch (psv) {
    case 1: return ra;
    case 2: return rb;
    case 3: return rc;
    case 4: return ra + rb - rc;
    case 5: return ra + ((rb - rc) >> 1);
    case 6: return rb + ((ra - rc) >> 1);
    default: return (ra + rb) >> 1;
  }
}

export function encodeLossless(o: LosslessOptions): Uint8Array {
  const { width, height, components: nc, precision } = o;
  const pt = o.pointTransform ?? 0;
  const { codes, counts, symbols } = canonicalCodes();
  const w = new BitWriter();
  const seg = (marker: number, body: number[]) => w.raw(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  w.raw(0xff, 0xd8);
  const sof = [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, nc];
  for (let c = 0; c < nc; c++) sof.push(c + 1, 0x11, 0);
  seg(0xc3, sof);
  seg(0xc4, [0x00, ...counts, ...symbols]);
  if (o.restartRows) seg(0xdd, [(o.restartRows * width) >> 8, (o.restartRows * width) & 0xff]);
  const value = (c: number, x: number, y: number) => o.samples[(y * width + x) * nc + c]! >> pt;
  const scans = o.separateScans ? [...Array(nc).keys()].map((c) => [c]) : [[...Array(nc).keys()]];
  for (const comps of scans) {
    const sos = [comps.length];
    for (const c of comps) sos.push(c + 1, 0x00);
    sos.push(o.predictor, 0, pt);
    seg(0xda, sos);
    let rst = 0;
    let firstLine = true;
    for (let y = 0; y < height; y++) {
      if (o.restartRows && y > 0 && y % o.restartRows === 0) {
        w.align();
        w.raw(0xff, 0xd0 + (rst++ & 7));
        firstLine = true;
      }
      for (let x = 0; x < width; x++) {
        for (const c of comps) {
          let px: number;
          if (x === 0 && firstLine) px = 1 << (precision - pt - 1);
          else if (firstLine) px = value(c, x - 1, y);
          else if (x === 0) px = value(c, 0, y - 1);
          else px = predict(o.predictor, value(c, x - 1, y), value(c, x, y - 1), value(c, x - 1, y - 1));
          let diff = (value(c, x, y) - px) & 0xffff;
          if (diff >= 0x8000) diff -= 0x10000;
          const ssss = diff === -0x8000 ? 16 : diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
          w.put(codes[ssss]!, LENGTHS[ssss]!);
          if (ssss > 0 && ssss < 16) w.put(diff < 0 ? diff - 1 : diff, ssss);
        }
      }
      firstLine = false;
    }
    w.align();
  }
  w.raw(0xff, 0xd9);
  return w.result();
}
