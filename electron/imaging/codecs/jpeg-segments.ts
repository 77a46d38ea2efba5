/**
 * Walks the marker segments of a JPEG codestream (ITU T.81 Annex B): frame header, Huffman and
 * quantisation tables, restart interval, and one scan header at a time, with the tables in
 * force when that scan starts. Entropy-coded data is left to the decoders.
 */
import { buildHuffmanTable, JpegCorrupt, type HuffmanTable } from './jpeg-huffman';

export interface FrameComponent {
  id: number;
  h: number;
  v: number;
  tq: number;
}

export interface JpegFrame {
  /** The SOF marker byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless. */
  sof: number;
  precision: number;
  height: number;
  width: number;
  components: FrameComponent[];
  hmax: number;
  vmax: number;
}

export interface ScanComponent {
  /** Index into the frame's components. */
  index: number;
  dc: HuffmanTable | null;
  ac: HuffmanTable | null;
  quant: Int32Array | null;
}

export interface JpegScan {
  components: ScanComponent[];
  /** Start of spectral selection, or the predictor (selection value) in process 14. */
  ss: number;
  se: number;
  ah: number;
  /** Successive approximation low bit, or the point transform in process 14. */
  al: number;
  restartInterval: number;
  /** Offset of the first entropy-coded byte. */
  dataStart: number;
}

const SOF_NAMES: Record<number, string> = {
  0xc5: 'differential sequential (hierarchical)',
  0xc6: 'differential progressive (hierarchical)',
  0xc7: 'differential lossless (hierarchical)',
  0xc9: 'arithmetic-coded extended sequential',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded differential sequential',
  0xce: 'arithmetic-coded differential progressive',
  0xcf: 'arithmetic-coded differential lossless',
};

export class JpegSegments {
  frame: JpegFrame | null = null;
  /** Transform flag of an Adobe APP14 segment (0: no colour transform, 1: YCbCr), null without one. */
  adobeTransform: number | null = null;
  jfif = false;
  private readonly dc: (HuffmanTable | null)[] = [null, null, null, null];
  private readonly ac: (HuffmanTable | null)[] = [null, null, null, null];
  private readonly quant: (Int32Array | null)[] = [null, null, null, null];
  private restartInterval = 0;
  private pos = 2;

  constructor(private readonly data: Uint8Array) {
    if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw new JpegCorrupt('the JPEG data does not start with a start-of-image marker');
  }

  /** Reads segments up to the next scan header; null at the end of the image. */
  nextScan(): JpegScan | null {
    const d = this.data;
    for (;;) {
      let p = this.pos;
      if (p >= d.length) return null;
      if (d[p] !== 0xff) throw new JpegCorrupt(`expected a JPEG marker at byte ${p}, found 0x${d[p]!.toString(16)}`);
      while (p < d.length && d[p] === 0xff) p++; // fill bytes
      if (p >= d.length) return null;
      const marker = d[p]!;
      p++;
      if (marker === 0xd9) return null;
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        this.pos = p;
        continue;
      }
      if (p + 2 > d.length) throw new JpegCorrupt('the JPEG data ends inside a marker segment');
      const length = (d[p]! << 8) | d[p + 1]!;
      if (length < 2 || p + length > d.length) throw new JpegCorrupt(`the JPEG marker segment 0x${marker.toString(16)} has length ${length}, which runs past the end of the data`);
      const body = d.subarray(p + 2, p + length);
      this.pos = p + length;
      if (marker === 0xda) return this.scanHeader(body, this.pos);
      this.segment(marker, body);
    }
  }

  /** Moves past the entropy-coded data of a scan, which the decoder read up to `pos`, to the next marker. */
  endScan(pos: number): void {
    const d = this.data;
    let p = Math.max(pos, this.pos);
    while (p + 1 < d.length && !(d[p] === 0xff && d[p + 1] !== 0 && !(d[p + 1]! >= 0xd0 && d[p + 1]! <= 0xd7))) p++;
    this.pos = p + 1 < d.length ? p : d.length;
  }

  private segment(marker: number, b: Uint8Array): void {
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) this.frameHeader(marker, b);
    else if (marker === 0xc4) this.huffmanTables(b);
    else if (marker === 0xdb) this.quantTables(b);
    else if (marker === 0xdd) {
      if (b.length < 2) throw new JpegCorrupt('the JPEG restart interval segment is too short');
      this.restartInterval = (b[0]! << 8) | b[1]!;
    } else if (marker === 0xcc) throw new JpegCorrupt('arithmetic-coded JPEG is not supported');
    else if (marker === 0xe0 && b.length >= 5 && String.fromCharCode(...b.subarray(0, 4)) === 'JFIF') this.jfif = true;
    else if (marker === 0xee && b.length >= 12 && String.fromCharCode(...b.subarray(0, 5)) === 'Adobe') this.adobeTransform = b[11]!;
    // APPn, COM, DNL and others carry nothing the decoders need.
  }

  private frameHeader(marker: number, b: Uint8Array): void {
    if (this.frame) throw new JpegCorrupt('the JPEG data holds more than one frame header');
    const name = SOF_NAMES[marker];
    if (name) throw new JpegCorrupt(`${name} JPEG (SOF 0x${marker.toString(16)}) is not supported`);
    if (b.length < 6) throw new JpegCorrupt('the JPEG frame header is too short');
    const n = b[5]!;
    if (n < 1 || b.length < 6 + 3 * n) throw new JpegCorrupt(`the JPEG frame header declares ${n} components but is ${b.length + 2} bytes long`);
    const components: FrameComponent[] = [];
    for (let i = 0; i < n; i++) {
      const o = 6 + 3 * i;
      const h = b[o + 1]! >> 4;
      const v = b[o + 1]! & 15;
      if (h < 1 || h > 4 || v < 1 || v > 4) throw new JpegCorrupt(`JPEG component ${i + 1} has invalid sampling factors ${h}x${v}`);
      components.push({ id: b[o]!, h, v, tq: b[o + 2]! & 3 });
    }
    const frame: JpegFrame = {
      sof: marker,
      precision: b[0]!,
      height: (b[1]! << 8) | b[2]!,
      width: (b[3]! << 8) | b[4]!,
      components,
      hmax: Math.max(...components.map((c) => c.h)),
      vmax: Math.max(...components.map((c) => c.v)),
    };
    if (frame.width === 0) throw new JpegCorrupt('the JPEG frame header gives a width of 0');
    if (frame.height === 0) throw new JpegCorrupt('the JPEG frame header gives a height of 0 (a DNL marker), which is not supported');
    this.frame = frame;
  }

  private huffmanTables(b: Uint8Array): void {
    let p = 0;
    while (p < b.length) {
      if (p + 17 > b.length) throw new JpegCorrupt('a JPEG Huffman table segment is truncated');
      const tc = b[p]! >> 4;
      const th = b[p]! & 15;
      if (tc > 1 || th > 3) throw new JpegCorrupt(`a JPEG Huffman table has invalid class ${tc} or destination ${th}`);
      const counts = b.subarray(p + 1, p + 17);
      let total = 0;
      for (const c of counts) total += c;
      if (total > 256 || p + 17 + total > b.length) throw new JpegCorrupt('a JPEG Huffman table segment is truncated or declares too many codes');
      const table = buildHuffmanTable(counts, b.slice(p + 17, p + 17 + total));
      (tc === 0 ? this.dc : this.ac)[th] = table;
      p += 17 + total;
    }
  }

  private quantTables(b: Uint8Array): void {
    let p = 0;
    while (p < b.length) {
      const pq = b[p]! >> 4;
      const tq = b[p]! & 15;
      if (pq > 1 || tq > 3) throw new JpegCorrupt(`a JPEG quantisation table has invalid precision ${pq} or destination ${tq}`);
      const size = pq === 0 ? 64 : 128;
      if (p + 1 + size > b.length) throw new JpegCorrupt('a JPEG quantisation table segment is truncated');
      const q = new Int32Array(64);
      for (let i = 0; i < 64; i++) q[i] = pq === 0 ? b[p + 1 + i]! : (b[p + 1 + 2 * i]! << 8) | b[p + 2 + 2 * i]!;
      this.quant[tq] = q;
      p += 1 + size;
    }
  }

  private scanHeader(b: Uint8Array, dataStart: number): JpegScan {
    const frame = this.frame;
    if (!frame) throw new JpegCorrupt('the JPEG scan starts before any frame header');
    const ns = b[0] ?? 0;
    if (ns < 1 || ns > 4 || b.length < 4 + 2 * ns) throw new JpegCorrupt(`the JPEG scan header declares ${ns} components but is ${b.length + 2} bytes long`);
    const components: ScanComponent[] = [];
    for (let i = 0; i < ns; i++) {
      const id = b[1 + 2 * i]!;
      const index = frame.components.findIndex((c) => c.id === id);
      if (index < 0) throw new JpegCorrupt(`the JPEG scan refers to component ${id}, which the frame header does not declare`);
      if (components.some((c) => c.index === index)) throw new JpegCorrupt(`the JPEG scan lists component ${id} twice`);
      const td = b[2 + 2 * i]! >> 4;
      const ta = b[2 + 2 * i]! & 15;
      if (td > 3 || ta > 3) throw new JpegCorrupt(`the JPEG scan selects Huffman table ${td}/${ta}, beyond the 4 allowed`);
      components.push({ index, dc: this.dc[td]!, ac: this.ac[ta]!, quant: this.quant[frame.components[index]!.tq]! });
    }
    const o = 1 + 2 * ns;
    return { components, ss: b[o]!, se: b[o + 1]!, ah: b[o + 2]! >> 4, al: b[o + 2]! & 15, restartInterval: this.restartInterval, dataStart };
  }
}
