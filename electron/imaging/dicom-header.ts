/** Reads the image-relevant attributes of a parsed DICOM data set and checks them for sanity. */
import type { DataSet, Element } from 'dicom-parser';
import { ImagingError } from './errors';
import { transferSyntaxOf } from './dicom-file';
import type { ModalityLut, PaddingRange, PaletteChannel, PixelLayout, VoiFunction, VoiLut } from './types';
import type { VoiLutPreset, WindowPreset } from './types';

export interface DicomImageInfo {
  transferSyntax: string;
  layout: PixelLayout;
  rescale: { slope: number; intercept: number; type: string | null } | null;
  /** Dose Grid Scaling of RT Dose, applied like a slope. */
  doseGridScaling: number | null;
  /** Grayscale only: replaces rescale when present. */
  modalityLut: ModalityLut | null;
  /** Grayscale only: stored values that mark padding, not image. */
  padding: PaddingRange | null;
  windows: WindowPreset[];
  voiFunction: VoiFunction;
  voiLuts: VoiLut[];
  palette: { red: PaletteChannel; green: PaletteChannel; blue: PaletteChannel } | null;
  modality: string | null;
  pixelData: Element;
}

/** A frame bigger than this (bytes, decoded) is refused before anything is allocated. */
export const MAX_FRAME_BYTES = 1 << 30;
/** All frames together may not exceed this. */
export const MAX_TOTAL_BYTES = 4 * (1 << 30);

export function str(ds: DataSet, tag: string, index?: number): string | null {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return null;
  const v = ds.string(tag, index);
  return v === undefined || v === '' ? null : v;
}

/** Integers of VR US/SS or IS, whichever the file used (implicit VR files do not say). */
function uint(ds: DataSet, tag: string): number | null {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return null;
  if (el.vr === 'IS' || (el.vr === undefined && el.length !== 2)) {
    const v = ds.intString(tag);
    return v === undefined || Number.isNaN(v) ? null : v;
  }
  if (el.length < 2) return null;
  return ds.uint16(tag) ?? null;
}

function decimals(ds: DataSet, tag: string): number[] {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return [];
  const n = ds.numStringValues(tag) ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n && i < 64; i++) {
    const v = ds.floatString(tag, i);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

function strings(ds: DataSet, tag: string): string[] {
  const n = ds.numStringValues(tag) ?? 0;
  const out: string[] = [];
  for (let i = 0; i < n && i < 64; i++) out.push(ds.string(tag, i) ?? '');
  return out;
}

function readLutDescriptor(ds: DataSet, tag: string): [number, number, number] | null {
  const el = ds.elements[tag];
  if (!el || el.length < 6) return null;
  const entries = ds.uint16(tag, 0) ?? 0;
  // First Mapped is US or SS depending on the pixel representation; read it as both and let the caller decide.
  const first = ds.uint16(tag, 1) ?? 0;
  const bits = ds.uint16(tag, 2) ?? 16;
  return [entries === 0 ? 65536 : entries, first, bits];
}

function readLutData(file: string, ds: DataSet, tag: string, entries: number, bits: number): Uint16Array {
  const el = ds.elements[tag];
  if (!el) throw new ImagingError(file, `LUT data ${tag.slice(1)} is missing`);
  const out = new Uint16Array(entries);
  if (el.length === entries * 2) {
    for (let i = 0; i < entries; i++) out[i] = ds.uint16(tag, i) ?? 0;
  } else if (el.length === entries && bits <= 8) {
    for (let i = 0; i < entries; i++) out[i] = ds.byteArray[el.dataOffset + i] ?? 0;
  } else {
    throw new ImagingError(file, `LUT data ${tag.slice(1)} holds ${el.length} bytes for ${entries} entries`);
  }
  return out;
}

function readPalette(file: string, ds: DataSet, pixelRepresentation: number): DicomImageInfo['palette'] {
  const channel = (descTag: string, dataTag: string): PaletteChannel => {
    const d = readLutDescriptor(ds, descTag);
    if (!d) throw new ImagingError(file, 'PALETTE COLOR image without a palette lookup table descriptor');
    const [entries, firstRaw, bits] = d;
    const firstMapped = pixelRepresentation === 1 && firstRaw > 32767 ? firstRaw - 65536 : firstRaw;
    const data = readLutData(file, ds, dataTag, entries, bits);
    return { entries, firstMapped, bits, data };
  };
  return {
    red: channel('x00281101', 'x00281201'),
    green: channel('x00281102', 'x00281202'),
    blue: channel('x00281103', 'x00281203'),
  };
}

function readVoiLuts(file: string, ds: DataSet, pixelRepresentation: number): VoiLut[] {
  const seq = ds.elements.x00283010;
  if (!seq?.items) return [];
  const out: VoiLut[] = [];
  for (const item of seq.items.slice(0, 16)) {
    const s = item.dataSet;
    if (!s) continue;
    const d = readLutDescriptor(s, 'x00283002');
    if (!d) throw new ImagingError(file, 'VOI LUT Sequence item without a LUT Descriptor');
    const [entries, firstRaw, bits] = d;
    if (bits < 1 || bits > 16) throw new ImagingError(file, `VOI LUT with ${bits} bits per entry`);
    const firstMapped = pixelRepresentation === 1 && firstRaw > 32767 ? firstRaw - 65536 : firstRaw;
    out.push({ entries, firstMapped, bits, data: readLutData(file, s, 'x00283006', entries, bits), explanation: str(s, 'x00283003') });
  }
  return out;
}

function readModalityLut(file: string, ds: DataSet, pixelRepresentation: number): ModalityLut | null {
  const item = ds.elements.x00283000?.items?.[0]?.dataSet;
  if (!item) return null;
  const d = readLutDescriptor(item, 'x00283002');
  if (!d) throw new ImagingError(file, 'Modality LUT Sequence item without a LUT Descriptor');
  const [entries, firstRaw, bits] = d;
  if (bits !== 8 && bits !== 16) throw new ImagingError(file, `Modality LUT with ${bits} bits per entry (8 or 16 allowed)`);
  const firstMapped = pixelRepresentation === 1 && firstRaw > 32767 ? firstRaw - 65536 : firstRaw;
  return {
    entries,
    firstMapped,
    bits,
    data: readLutData(file, item, 'x00283006', entries, bits),
    type: str(item, 'x00283004')?.trim() ?? null,
    explanation: str(item, 'x00283003'),
  };
}

/** A US or SS value whose VR follows the Pixel Representation (implicit VR files do not say). */
function pixelValue(ds: DataSet, tag: string, pixelRepresentation: number): number | null {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return null;
  const raw = ds.uint16(tag);
  if (raw === undefined) return null;
  return (el.vr === 'SS' || (el.vr !== 'US' && pixelRepresentation === 1)) && raw > 32767 ? raw - 65536 : raw;
}

function readPadding(ds: DataSet, pixelRepresentation: number): PaddingRange | null {
  const value = pixelValue(ds, 'x00280120', pixelRepresentation);
  if (value === null) return null;
  const limit = pixelValue(ds, 'x00280121', pixelRepresentation) ?? value;
  return { low: Math.min(value, limit), high: Math.max(value, limit) };
}

function readWindows(ds: DataSet): WindowPreset[] {
  const centers = decimals(ds, 'x00281050');
  const widths = decimals(ds, 'x00281051');
  const names = strings(ds, 'x00281055');
  const out: WindowPreset[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    if (!(widths[i]! > 0)) continue;
    const name = names[i]?.trim() || (centers.length > 1 ? `Window ${i + 1}` : 'Default');
    out.push({ name, center: centers[i]!, width: widths[i]! });
  }
  return out;
}

/** The file's VOI LUTs as presets, named by their LUT Explanation. */
export function voiLutPresets(luts: VoiLut[]): VoiLutPreset[] {
  return luts.map((lut, i) => ({
    name: lut.explanation?.trim() || (luts.length > 1 ? `VOI LUT ${i + 1}` : 'VOI LUT'),
    firstMapped: lut.firstMapped,
    bits: lut.bits,
    data: lut.data,
  }));
}

/**
 * The data set that holds `tag`: the top level, else the shared functional groups, else the
 * first frame's functional groups (inside the macro sequence `macro`).
 */
function withAttribute(ds: DataSet, tag: string, macro: string): DataSet | null {
  if (ds.elements[tag]) return ds;
  for (const groups of ['x52009229', 'x52009230']) {
    const item = ds.elements[groups]?.items?.[0]?.dataSet;
    const inner = item?.elements[macro]?.items?.[0]?.dataSet;
    if (inner?.elements[tag]) return inner;
  }
  return null;
}

const PHOTOMETRICS = new Set([
  'MONOCHROME1', 'MONOCHROME2', 'RGB', 'PALETTE COLOR', 'YBR_FULL', 'YBR_FULL_422', 'YBR_PARTIAL_422', 'YBR_PARTIAL_420', 'YBR_ICT', 'YBR_RCT',
]);

/** The pixel element: Pixel Data, else Float Pixel Data (32-bit) or Double Float Pixel Data (64-bit). */
function pixelElement(file: string, ds: DataSet): { element: Element; floatBits: 32 | 64 | null } {
  const integer = ds.elements.x7fe00010;
  const float = ds.elements.x7fe00008;
  const double = ds.elements.x7fe00009;
  if ([integer, float, double].filter(Boolean).length > 1) throw new ImagingError(file, 'the file holds more than one of Pixel Data, Float Pixel Data and Double Float Pixel Data');
  if (integer) return { element: integer, floatBits: null };
  if (float) return { element: float, floatBits: 32 };
  if (double) return { element: double, floatBits: 64 };
  throw new ImagingError(file, 'the DICOM file holds no image (no Pixel Data element)');
}

/** Floating-point samples (PS3.3 C.7.6.24, C.7.6.25): one grayscale sample, as many bits as the float. */
function checkFloatLayout(file: string, floatBits: 32 | 64, bitsAllocated: number, samplesPerPixel: number, photometric: string): void {
  const name = floatBits === 32 ? 'Float Pixel Data' : 'Double Float Pixel Data';
  if (bitsAllocated !== floatBits) throw new ImagingError(file, `${name} needs Bits Allocated ${floatBits}, the header says ${bitsAllocated}`);
  if (samplesPerPixel !== 1 || photometric !== 'MONOCHROME2') throw new ImagingError(file, `${name} must be one MONOCHROME2 sample per pixel, the header says ${samplesPerPixel} sample(s) of ${photometric}`);
}

export function readImageInfo(file: string, ds: DataSet): DicomImageInfo {
  const { element: pixelData, floatBits } = pixelElement(file, ds);
  const rows = uint(ds, 'x00280010');
  const columns = uint(ds, 'x00280011');
  if (!rows || !columns) throw new ImagingError(file, 'Rows or Columns is missing or zero');
  const samplesPerPixel = uint(ds, 'x00280002') ?? 1;
  const photometric = (str(ds, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')).trim().toUpperCase();
  if (!PHOTOMETRICS.has(photometric)) throw new ImagingError(file, `unsupported Photometric Interpretation '${photometric}'`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) throw new ImagingError(file, `unsupported Samples per Pixel ${samplesPerPixel}`);
  const expectedSpp = photometric.startsWith('MONOCHROME') || photometric === 'PALETTE COLOR' ? 1 : 3;
  if (samplesPerPixel !== expectedSpp) {
    throw new ImagingError(file, `Photometric Interpretation ${photometric} needs ${expectedSpp} samples per pixel, the header says ${samplesPerPixel}`);
  }
  const bitsAllocated = uint(ds, 'x00280100') ?? 0;
  if (floatBits) checkFloatLayout(file, floatBits, bitsAllocated, samplesPerPixel, photometric);
  else if (![1, 8, 16, 32].includes(bitsAllocated)) throw new ImagingError(file, `unsupported Bits Allocated ${bitsAllocated}`);
  // Bits Stored, High Bit and Pixel Representation are absent for floats: every bit is the sample.
  const bitsStored = floatBits ?? uint(ds, 'x00280101') ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw new ImagingError(file, `Bits Stored ${bitsStored} does not fit Bits Allocated ${bitsAllocated}`);
  let highBit = floatBits ? bitsStored - 1 : (uint(ds, 'x00280102') ?? bitsStored - 1);
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) highBit = bitsStored - 1;
  const pr = floatBits ? 0 : (uint(ds, 'x00280103') ?? 0);
  if (pr !== 0 && pr !== 1) throw new ImagingError(file, `invalid Pixel Representation ${pr}`);
  const pc = samplesPerPixel > 1 ? (uint(ds, 'x00280006') ?? 0) : 0;
  if (pc !== 0 && pc !== 1) throw new ImagingError(file, `invalid Planar Configuration ${pc}`);
  const framesRaw = ds.elements.x00280008 ? ds.intString('x00280008') : 1;
  const frames = framesRaw === undefined || Number.isNaN(framesRaw) ? 1 : framesRaw;
  if (frames < 1) throw new ImagingError(file, `Number of Frames is ${frames}`);
  const layout: PixelLayout = {
    rows, columns, frames, samplesPerPixel, photometric, planarConfiguration: pc as 0 | 1,
    bitsAllocated, bitsStored, highBit, pixelRepresentation: pr as 0 | 1,
    ...(floatBits ? { floatingPoint: true } : {}),
  };
  const frameBytes = (rows * columns * samplesPerPixel * bitsAllocated) / 8;
  if (frameBytes > MAX_FRAME_BYTES) {
    throw new ImagingError(file, `the header claims ${rows}x${columns}x${samplesPerPixel} samples of ${bitsAllocated} bits per frame (${(frameBytes / 2 ** 20).toFixed(0)} MiB), more than this viewer accepts`);
  }
  if (frameBytes * frames > MAX_TOTAL_BYTES) {
    throw new ImagingError(file, `the header claims ${frames} frames of ${(frameBytes / 2 ** 20).toFixed(0)} MiB, more than this viewer accepts`);
  }

  // Enhanced multi-frame objects keep rescale and windows in the functional groups.
  const rescaleSet = withAttribute(ds, 'x00281053', 'x00289145') ?? withAttribute(ds, 'x00281052', 'x00289145') ?? ds;
  const windowSet = withAttribute(ds, 'x00281050', 'x00289132') ?? ds;
  const slope = decimals(rescaleSet, 'x00281053')[0];
  const intercept = decimals(rescaleSet, 'x00281052')[0];
  const rescale = slope !== undefined || intercept !== undefined
    ? { slope: slope ?? 1, intercept: intercept ?? 0, type: str(rescaleSet, 'x00281054') }
    : null;
  const dgs = decimals(ds, 'x3004000e')[0];
  const fn = (str(windowSet, 'x00281056') ?? 'LINEAR').trim().toUpperCase();
  const voiFunction: VoiFunction = fn === 'SIGMOID' || fn === 'LINEAR_EXACT' ? fn : 'LINEAR';
  return {
    transferSyntax: transferSyntaxOf(ds),
    layout,
    rescale,
    doseGridScaling: dgs ?? null,
    modalityLut: photometric.startsWith('MONOCHROME') ? readModalityLut(file, ds, pr) : null,
    padding: photometric.startsWith('MONOCHROME') ? readPadding(ds, pr) : null,
    windows: readWindows(windowSet),
    voiFunction,
    voiLuts: readVoiLuts(file, ds, pr),
    palette: photometric === 'PALETTE COLOR' ? readPalette(file, ds, pr) : null,
    modality: str(ds, 'x00080060')?.trim() ?? null,
    pixelData,
  };
}
