/**
 * A small sequential DCT JPEG encoder for tests (SOF0/SOF1, 8 or 12 bit): what DCMTK's encoder
 * cannot be asked for, namely restart intervals, 4:2:0 sampling and one scan per component.
 * Float forward DCT, one quantisation table, flat Huffman tables (every symbol 5 bits for DC,
 * 8 bits for AC). Its streams are checked against DCMTK's decoder where DCMTK is installed.
 */
import { BitWriter } from './lossless-encoder';

export interface DctOptions {
  width: number;
  height: number;
  precision: 8 | 12;
  /** Pixel-interleaved samples, written as they are (no colour transform). */
  samples: ArrayLike<number>;
  components: number;
  /** Sampling factors per component, [h, v]; 1x1 for all when left out. */
  sampling?: [number, number][];
  restartInterval?: number;
  separateScans?: boolean;
  quality?: number;
}

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
  30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

function fdct(block: Float64Array): Float64Array {
  const out = new Float64Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) s += block[y * 8 + x]! * Math.cos(((2 * x + 1) * u * Math.PI) / 16) * Math.cos(((2 * y + 1) * v * Math.PI) / 16);
      }
      out[v * 8 + u] = 0.25 * (u === 0 ? Math.SQRT1_2 : 1) * (v === 0 ? Math.SQRT1_2 : 1) * s;
    }
  }
  return out;
}

function category(v: number): number {
  return v === 0 ? 0 : 32 - Math.clz32(Math.abs(v));
}

export function encodeDct(o: DctOptions): Uint8Array {
  const { width, height, precision, components: nc } = o;
  const sampling = o.sampling ?? Array.from({ length: nc }, () => [1, 1] as [number, number]);
  const hmax = Math.max(...sampling.map((s) => s[0]));
  const vmax = Math.max(...sampling.map((s) => s[1]));
  const q = Array.from({ length: 64 }, (_, k) => Math.max(1, Math.round((o.quality ?? 4) * (1 + k / 8))));
  const dcSymbols = Array.from({ length: 16 }, (_, i) => i);
  const acSymbols = [0x00, 0xf0];
  for (let run = 0; run < 16; run++) for (let size = 1; size <= (precision === 8 ? 10 : 14); size++) acSymbols.push((run << 4) | size);
  const w = new BitWriter();
  const seg = (marker: number, body: number[]) => w.raw(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  w.raw(0xff, 0xd8);
  seg(0xdb, [0x00, ...ZIGZAG.map((_, k) => q[k]!)]);
  const sof = [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, nc];
  sampling.forEach(([h, v], c) => sof.push(c + 1, (h << 4) | v, 0));
  seg(precision === 8 ? 0xc0 : 0xc1, sof);
  const counts = (n: number, len: number) => Array.from({ length: 16 }, (_, i) => (i === len - 1 ? n : 0));
  seg(0xc4, [0x00, ...counts(dcSymbols.length, 5), ...dcSymbols, 0x10, ...counts(acSymbols.length, 8), ...acSymbols]);
  const dcCode = (s: number) => dcSymbols.indexOf(s);
  const acCode = (s: number) => acSymbols.indexOf(s);
  if (o.restartInterval) seg(0xdd, [o.restartInterval >> 8, o.restartInterval & 0xff]);

  // Component planes (edge-replicated, box-averaged where subsampled), as quantised blocks.
  const mcusWide = Math.ceil(width / (8 * hmax));
  const mcusHigh = Math.ceil(height / (8 * vmax));
  const blocks = sampling.map(([h, v], c) => {
    const bw = mcusWide * h;
    const bh = mcusHigh * v;
    const sx = hmax / h;
    const sy = vmax / v;
    const sample = (x: number, y: number) => {
      let sum = 0;
      for (let dy = 0; dy < sy; dy++) {
        for (let dx = 0; dx < sx; dx++) {
          const px = Math.min(width - 1, x * sx + dx);
          const py = Math.min(height - 1, y * sy + dy);
          sum += o.samples[(py * width + px) * nc + c]!;
        }
      }
      return sum / (sx * sy);
    };
    const out: Int32Array[] = [];
    for (let by = 0; by < bh; by++) {
      for (let bx = 0; bx < bw; bx++) {
        const block = new Float64Array(64);
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = sample(bx * 8 + x, by * 8 + y) - (1 << (precision - 1));
        const f = fdct(block);
        out.push(Int32Array.from(ZIGZAG, (n, k) => Math.round(f[n]! / q[k]!)));
      }
    }
    return { blocks: out, bw, bh, h, v, compW: Math.ceil(Math.ceil((width * h) / hmax) / 8), compH: Math.ceil(Math.ceil((height * v) / vmax) / 8) };
  });

  const scans = o.separateScans ? [...Array(nc).keys()].map((c) => [c]) : [[...Array(nc).keys()]];
  for (const comps of scans) {
    const sos = [comps.length];
    for (const c of comps) sos.push(c + 1, 0x00);
    sos.push(0, 63, 0);
    seg(0xda, sos);
    const pred = new Array<number>(nc).fill(0);
    const putBlock = (c: number, coef: Int32Array) => {
      const diff = coef[0]! - pred[c]!;
      pred[c] = coef[0]!;
      const t = category(diff);
      w.put(dcCode(t), 5);
      if (t) w.put(diff < 0 ? diff - 1 : diff, t);
      let run = 0;
      for (let k = 1; k < 64; k++) {
        const a = coef[k]!;
        if (a === 0) {
          run++;
          continue;
        }
        while (run > 15) {
          w.put(acCode(0xf0), 8);
          run -= 16;
        }
        const s = category(a);
        w.put(acCode((run << 4) | s), 8);
        w.put(a < 0 ? a - 1 : a, s);
        run = 0;
      }
      if (run > 0) w.put(acCode(0x00), 8);
    };
    const single = comps.length === 1;
    const b0 = blocks[comps[0]!]!;
    const mcus = single ? b0.compW * b0.compH : mcusWide * mcusHigh;
    let rst = 0;
    for (let m = 0; m < mcus; m++) {
      if (o.restartInterval && m > 0 && m % o.restartInterval === 0) {
        w.align();
        w.raw(0xff, 0xd0 + (rst++ & 7));
        pred.fill(0);
      }
      if (single) {
        const mx = m % b0.compW;
        const my = Math.floor(m / b0.compW);
        putBlock(comps[0]!, b0.blocks[my * b0.bw + mx]!);
        continue;
      }
      const mx = m % mcusWide;
      const my = Math.floor(m / mcusWide);
      for (const c of comps) {
        const b = blocks[c]!;
        for (let y = 0; y < b.v; y++) for (let x = 0; x < b.h; x++) putBlock(c, b.blocks[(my * b.v + y) * b.bw + mx * b.h + x]!);
      }
    }
    w.align();
  }
  w.raw(0xff, 0xd9);
  return w.result();
}
