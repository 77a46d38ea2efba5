/**
 * JPEG Lossless, process 14 (ITU T.81 Annex H): predictors 1–7, point transform, 2–16 bit
 * precision, one or more components (interleaved with 1x1 sampling, or one scan each), restart
 * intervals of whole rows. A row of differences is Huffman-decoded in one tight loop, then the
 * predictor runs over it in another; samples wrap modulo 2^16 as H.2.1 requires, which a
 * Uint16Array store does by itself.
 */
import type { DecodedSamples } from './charls';
import { BitReader, decodeDiffs, decodeRowPredictor1, JpegCorrupt, MAX_DIFF_BYTES, type HuffmanTable } from './jpeg-huffman';
import { JpegSegments, type JpegScan } from './jpeg-segments';

/** Reconstructs one row of one component from its differences `diffs[k], diffs[k+ns], ...`. */
function predictRow(plane: Uint16Array, row: number, width: number, diffs: Int32Array, k: number, ns: number, psv: number, firstLine: boolean, initial: number): void {
  let ra: number;
  if (firstLine) {
    // First line of the scan or of a restart interval: 2^(P-Pt-1), then the left neighbour.
    ra = (initial + diffs[k]!) & 0xffff;
    plane[row] = ra;
    for (let x = 1, d = k + ns; x < width; x++, d += ns) {
      ra = (ra + diffs[d]!) & 0xffff;
      plane[row + x] = ra;
    }
    return;
  }
  const up = row - width;
  ra = (plane[up]! + diffs[k]!) & 0xffff; // each later line starts from the sample above
  plane[row] = ra;
  let d = k + ns;
  switch (psv) {
    case 1:
      for (let x = 1; x < width; x++, d += ns) {
        ra = (ra + diffs[d]!) & 0xffff;
        plane[row + x] = ra;
      }
      return;
    case 2:
      for (let x = 1; x < width; x++, d += ns) plane[row + x] = plane[up + x]! + diffs[d]!;
      return;
    case 3:
      for (let x = 1; x < width; x++, d += ns) plane[row + x] = plane[up + x - 1]! + diffs[d]!;
      return;
    case 4:
      for (let x = 1; x < width; x++, d += ns) {
        ra = (ra + plane[up + x]! - plane[up + x - 1]! + diffs[d]!) & 0xffff;
        plane[row + x] = ra;
      }
      return;
    case 5:
      for (let x = 1; x < width; x++, d += ns) {
        ra = (ra + ((plane[up + x]! - plane[up + x - 1]!) >> 1) + diffs[d]!) & 0xffff;
        plane[row + x] = ra;
      }
      return;
    case 6:
      for (let x = 1; x < width; x++, d += ns) {
        const rb = plane[up + x]!;
        ra = (rb + ((ra - plane[up + x - 1]!) >> 1) + diffs[d]!) & 0xffff;
        plane[row + x] = ra;
      }
      return;
    case 7:
      for (let x = 1; x < width; x++, d += ns) {
        ra = (((ra + plane[up + x]!) >> 1) + diffs[d]!) & 0xffff;
        plane[row + x] = ra;
      }
      return;
  }
}

function decodeScan(data: Uint8Array, scan: JpegScan, planes: Uint16Array[], width: number, height: number, precision: number): number {
  const ns = scan.components.length;
  const psv = scan.ss;
  const pt = scan.al;
  if (psv < 1 || psv > 7) throw new JpegCorrupt(`the lossless JPEG scan selects predictor ${psv}; only 1 to 7 exist outside hierarchical mode`);
  if (pt >= precision) throw new JpegCorrupt(`the lossless JPEG point transform ${pt} is not below the precision ${precision}`);
  const tables: HuffmanTable[] = scan.components.map((c, i) => {
    if (!c.dc) throw new JpegCorrupt(`the lossless JPEG scan uses a Huffman table that is not defined (component ${i + 1})`);
    return c.dc;
  });
  const ri = scan.restartInterval;
  if (ri > 0 && ri % width !== 0) throw new JpegCorrupt(`the lossless JPEG restart interval of ${ri} samples is not a whole number of ${width}-sample rows`);
  const rowsPerInterval = ri > 0 ? ri / width : 0;
  const initial = 1 << (precision - pt - 1);
  const diffs = new Int32Array(width * ns);
  const reader = new BitReader(data, scan.dataStart, MAX_DIFF_BYTES * width * ns + 16);
  // The common case (one component, predictor 1) reconstructs while it decodes.
  const fused = ns === 1 && psv === 1;
  const plane0 = planes[scan.components[0]!.index]!;
  let restarts = 0;
  for (let y = 0; y < height; y++) {
    let firstLine = y === 0;
    if (rowsPerInterval > 0 && y > 0 && y % rowsPerInterval === 0) {
      reader.restart(restarts++);
      firstLine = true;
    }
    const row = y * width;
    if (fused) decodeRowPredictor1(reader, tables[0]!, plane0, row, width, firstLine ? initial : plane0[row - width]!);
    else {
      decodeDiffs(reader, tables, diffs, 0, width * ns);
      for (let k = 0; k < ns; k++) predictRow(planes[scan.components[k]!.index]!, row, width, diffs, k, ns, psv, firstLine, initial);
    }
    reader.guard();
  }
  if (pt > 0) {
    for (const c of scan.components) {
      const plane = planes[c.index]!;
      for (let i = 0; i < plane.length; i++) plane[i] = plane[i]! << pt;
    }
  }
  return reader.srcPos;
}

export function decodeJpegLossless(encoded: Uint8Array, bytesPerSample: 1 | 2): DecodedSamples {
  const segments = new JpegSegments(encoded);
  let scan = segments.nextScan();
  const frame = segments.frame;
  if (!frame) throw new JpegCorrupt('the JPEG data holds no frame header');
  if (frame.sof !== 0xc3) throw new JpegCorrupt(`expected a lossless JPEG frame (SOF 0xc3), found SOF 0x${frame.sof.toString(16)}`);
  const { width, height, precision } = frame;
  if (precision < 2 || precision > 16) throw new JpegCorrupt(`lossless JPEG precision ${precision} is outside 2 to 16 bits`);
  const nc = frame.components.length;
  if (nc > 1 && (frame.hmax > 1 || frame.vmax > 1)) throw new JpegCorrupt('lossless JPEG with subsampled components is not supported');
  if (bytesPerSample === 1 && precision > 8) throw new JpegCorrupt(`lossless JPEG precision ${precision} does not fit 8-bit samples`);
  const planes = frame.components.map(() => new Uint16Array(width * height));
  const done = new Array<boolean>(nc).fill(false);
  if (!scan) throw new JpegCorrupt('the lossless JPEG data holds no scan');
  while (scan) {
    for (const c of scan.components) {
      if (done[c.index]) throw new JpegCorrupt(`lossless JPEG component ${c.index + 1} is coded in more than one scan`);
      done[c.index] = true;
    }
    segments.endScan(decodeScan(encoded, scan, planes, width, height, precision));
    if (done.every(Boolean)) break;
    scan = segments.nextScan();
  }
  const missing = done.indexOf(false);
  if (missing >= 0) throw new JpegCorrupt(`the lossless JPEG data ends before component ${missing + 1} is coded`);
  const n = width * height;
  let samples: Uint8Array | Uint16Array;
  if (nc === 1 && bytesPerSample === 2) samples = planes[0]!;
  else {
    samples = bytesPerSample === 1 ? new Uint8Array(n * nc) : new Uint16Array(n * nc);
    for (let c = 0; c < nc; c++) {
      const plane = planes[c]!;
      for (let i = 0, o = c; i < n; i++, o += nc) samples[o] = plane[i]!;
    }
  }
  return { width, height, components: nc, bitsPerSample: precision, samples };
}
