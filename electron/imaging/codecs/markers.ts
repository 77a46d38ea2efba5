/**
 * Reads only the frame header of a JPEG / JPEG-LS / JPEG 2000 codestream (dimensions,
 * precision, components) so that it can be checked against the DICOM header before any codec
 * allocates memory for it. No pixel data is decoded here.
 */
export interface CodestreamHeader {
  kind: 'jpeg' | 'jpeg-ls' | 'j2k';
  /** SOF marker byte for JPEG (0xC0 baseline, 0xC1 extended, 0xC3 lossless, 0xF7 JPEG-LS). */
  marker: number;
  width: number;
  height: number;
  precision: number;
  components: number;
  signed?: boolean;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);

export function readJpegHeader(data: Uint8Array): CodestreamHeader | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let p = 2;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) return null;
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    const length = (data[p + 2]! << 8) | data[p + 3]!;
    if (length < 2) return null;
    if (SOF_MARKERS.has(marker)) {
      if (p + 10 > data.length) return null;
      return {
        kind: marker === 0xf7 ? 'jpeg-ls' : 'jpeg',
        marker,
        precision: data[p + 4]!,
        height: (data[p + 5]! << 8) | data[p + 6]!,
        width: (data[p + 7]! << 8) | data[p + 8]!,
        components: data[p + 9]!,
      };
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan or end before any frame header
    p += 2 + length;
  }
  return null;
}

/** JPEG 2000: the SIZ segment right after SOC (raw codestream), or inside a JP2 box structure. */
export function readJ2kHeader(data: Uint8Array): CodestreamHeader | null {
  let p = -1;
  const limit = Math.min(data.length - 1, 4096);
  for (let i = 0; i < limit; i++) {
    if (data[i] === 0xff && data[i + 1] === 0x4f && data[i + 2] === 0xff && data[i + 3] === 0x51) {
      p = i + 2;
      break;
    }
  }
  if (p < 0 || p + 42 > data.length) return null;
  const view = new DataView(data.buffer, data.byteOffset + p, data.length - p);
  const xsiz = view.getUint32(6);
  const ysiz = view.getUint32(10);
  const xo = view.getUint32(14);
  const yo = view.getUint32(18);
  const components = view.getUint16(38);
  if (components < 1 || p + 40 + 3 * components > data.length) return null;
  const ssiz = view.getUint8(40);
  return {
    kind: 'j2k',
    marker: 0x51,
    width: xsiz - xo,
    height: ysiz - yo,
    precision: (ssiz & 0x7f) + 1,
    signed: (ssiz & 0x80) !== 0,
    components,
  };
}
