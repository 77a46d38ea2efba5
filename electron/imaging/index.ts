/**
 * Imaging: opens DICOM (all common transfer syntaxes), PNG and JPEG files and turns them into
 * modality values, stored values and a tag tree. Everything that goes wrong is an ImagingError
 * naming the file and the problem.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ScanSummary, WindowPreset } from './types';
import { ImagingError, describeThrown } from './errors';
import { openDicom, syntaxName } from './dicom-image';
import { str, voiLutPresets } from './dicom-header';
import { encodingOf, textValue } from './charset';
import { applyModalityLut, applyRescale, colourTo255, paletteToRgb, unpaddedRange, valueRange } from './modality';
import type { PlainImage } from './png';
import { decodeFrame } from './decoder-pool';
import { kindOf } from './sniff';
import { buildTagTree, type TagNode } from './tags';
import type { ModalityLut, PaddingRange, StoredArray, VoiFunction, VoiLut } from './types';
import { dtypeName } from './stored';

export { ImagingError } from './errors';
export type { TagNode } from './tags';
export type { StoredArray, VoiFunction, VoiLut } from './types';
export { scanFolder, scanFolderDetailed, type Study, type Series, type InstanceEntry, type FolderScan, type ScanFolderOptions } from './folder';
export { applyVoi, toDisplay8, rangeWindow, type Voi, type VoiOptions } from './voi';

export interface LoadedScan {
  summary: Omit<ScanSummary, 'id'>;
  /** Modality values after rescale, row-major, for frame n (1-based); RGB interleaved 0..255 for colour. */
  frame(n: number): Promise<Float32Array>;
  /** Stored values exactly as `candor decode --raw` writes them. */
  storedFrame(n: number): Promise<{ data: StoredArray }>;
  tags(): TagNode[];
  /** Pixel-module facts, as `candor decode` prints them. */
  header: ScanHeader;
  /** The VOI the file asks for: its VOI LUT Function (for the window presets) and any VOI LUTs. */
  voi: { function: VoiFunction; luts: VoiLut[] };
  /**
   * Grayscale DICOM with Pixel Padding Value: the modality values that padded pixels take.
   * They are left out of `summary.valueRange`; pass this as `padding` to applyVoi / toDisplay8
   * to draw them as background.
   */
  padding: { min: number; max: number } | null;
}

export interface ScanHeader {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  planarConfiguration: number | null;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  /** Data type of the stored values (`--raw`), e.g. uint16. */
  dtype: string;
  rescale: { slope: number; intercept: number; type: string | null } | null;
  windows: WindowPreset[];
  voiLutFunction: string;
  voiLuts: number;
  transferSyntaxUID: string | null;
  transferSyntax: string | null;
}

export interface LoadOptions {
  /** Leave patient name, id and other identifying fields out of the summary and the tag tree. */
  hideIdentifying?: boolean;
}

/** Files larger than this are refused before they are read (Node reads at most 2 GiB into one buffer). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

async function readScanFile(path: string): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImagingError(path, 'no such file');
    if (code === 'EACCES' || code === 'EPERM') throw new ImagingError(path, 'permission denied');
    throw new ImagingError(path, `cannot be read (${describeThrown(err)})`);
  }
  if (info.isDirectory()) throw new ImagingError(path, 'is a folder, not an image file (open a file, or scan the folder as a study)');
  if (!info.isFile()) throw new ImagingError(path, 'is not a regular file');
  if (info.size > MAX_FILE_BYTES) throw new ImagingError(path, `is ${(info.size / 2 ** 30).toFixed(1)} GiB, larger than the 2 GiB this viewer reads`);
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new ImagingError(path, 'permission denied');
    throw new ImagingError(path, `cannot be read (${describeThrown(err)})`);
  }
}

function checkFrameNumber(file: string, n: number, frames: number): number {
  if (!Number.isInteger(n) || n < 1 || n > frames) {
    throw new ImagingError(file, `frame ${n} requested, the image has ${frames} frame${frames === 1 ? '' : 's'} (numbered from 1)`);
  }
  return n - 1;
}

function rescaledRange(r: { min: number; max: number }, slope: number, intercept: number): { min: number; max: number } {
  const a = r.min * slope + intercept;
  const b = r.max * slope + intercept;
  // Float32 like the frame values, so the range and the pixels agree exactly.
  return { min: Math.fround(Math.min(a, b)), max: Math.fround(Math.max(a, b)) };
}

/** The modality values that the padded stored values [low, high] map to. */
function modalityInterval(padding: PaddingRange, lut: ModalityLut | null, slope: number, intercept: number): { min: number; max: number } {
  if (!lut) return rescaledRange({ min: padding.low, max: padding.high }, slope, intercept);
  let min = Infinity;
  let max = -Infinity;
  const from = Math.max(0, Math.min(lut.entries - 1, padding.low - lut.firstMapped));
  const to = Math.max(0, Math.min(lut.entries - 1, padding.high - lut.firstMapped));
  for (let k = from; k <= to; k++) {
    min = Math.min(min, lut.data[k]!);
    max = Math.max(max, lut.data[k]!);
  }
  return { min, max };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function loadScan(path: string, options: LoadOptions = {}): Promise<LoadedScan> {
  return openScanBytes(path, await readScanFile(path), options);
}

/** Like loadScan for bytes already in memory; `path` names them in errors and decides the expected format by its extension. */
export async function openScanBytes(path: string, bytes: Uint8Array, options: LoadOptions = {}): Promise<LoadedScan> {
  const file = resolve(path);
  const kind = kindOf(path, bytes);
  if (kind === 'dicom') return loadDicom(path, file, bytes, options);
  const hash = sha256(bytes);
  // The worker gets its own copy: `bytes` may be a view into a pooled buffer.
  const result = await decodeFrame({ kind, file: path, bytes: bytes.slice() });
  if (!result.image) throw new ImagingError(path, 'the decoder returned no image');
  const img: PlainImage = { ...result.image, data: result.data as PlainImage['data'] };
  if (img.data.length !== img.width * img.height * img.channels) throw new ImagingError(path, 'the decoded image has the wrong number of samples');
  return plainScan(file, kind, img, hash);
}

function plainScan(file: string, format: 'png' | 'jpeg', img: PlainImage, hash: string): LoadedScan {
  const modality = (): Float32Array => (img.channels === 3 ? colourTo255(img.data, img.bits) : applyRescale(img.data, { slope: 1, intercept: 0 }));
  const summary: Omit<ScanSummary, 'id'> = {
    path: file,
    fileName: basename(file),
    format,
    width: img.width,
    height: img.height,
    frames: 1,
    channels: img.channels,
    photometric: img.channels === 3 ? 'RGB' : 'MONOCHROME2',
    bitsStored: img.bits,
    modality: null,
    units: '',
    invertedByDefault: false,
    valueRange: valueRange(modality()),
    pixelPadding: null,
    windows: [],
    sha256: hash,
    patient: { name: null, id: null, studyDate: null, studyDescription: null },
  };
  return {
    summary,
    async frame(n) {
      checkFrameNumber(file, n, 1);
      return modality();
    },
    async storedFrame(n) {
      checkFrameNumber(file, n, 1);
      return { data: img.data };
    },
    tags: () => [],
    voi: { function: 'LINEAR', luts: [] },
    padding: null,
    header: {
      rows: img.height,
      columns: img.width,
      frames: 1,
      samplesPerPixel: img.channels,
      photometricInterpretation: summary.photometric,
      planarConfiguration: img.channels === 3 ? 0 : null,
      bitsAllocated: img.bits,
      bitsStored: img.bits,
      highBit: img.bits - 1,
      pixelRepresentation: 0,
      dtype: img.bits === 8 ? 'uint8' : 'uint16',
      rescale: null,
      windows: [],
      voiLutFunction: 'LINEAR',
      voiLuts: 0,
      transferSyntaxUID: null,
      transferSyntax: null,
    },
  };
}

async function loadDicom(path: string, file: string, bytes: Uint8Array, options: LoadOptions): Promise<LoadedScan> {
  const image = openDicom(path, bytes);
  const { info, dataSet } = image;
  const { layout } = info;
  const isPalette = layout.photometric === 'PALETTE COLOR';
  const channels: 1 | 3 = layout.samplesPerPixel === 3 || isPalette ? 3 : 1;
  const slope = info.rescale?.slope ?? info.doseGridScaling ?? 1;
  const intercept = info.rescale?.intercept ?? 0;

  // The last decoded frame is kept: the viewer and the model usually ask for the same frame twice.
  let cached: { index: number; data: StoredArray } | null = null;
  const stored = async (index: number): Promise<StoredArray> => {
    if (cached?.index === index) return cached.data;
    const data = await image.decode(index);
    cached = { index, data };
    return data;
  };
  const grey = channels === 1;
  const lut = grey ? info.modalityLut : null;
  const padding = grey ? info.padding : null;
  const toModality = (data: StoredArray): Float32Array => {
    if (isPalette && info.palette) return paletteToRgb(data, info.palette);
    if (channels === 3) return colourTo255(data, layout.bitsStored);
    // A Modality LUT Sequence replaces Rescale Slope / Intercept (PS3.3 C.11.1).
    return lut ? applyModalityLut(data, lut) : applyRescale(data, { slope, intercept });
  };

  // The range comes from the stored values (rescale is monotonic), without building a float copy
  // of the frame; padded pixels are left out so that the default window fits the image.
  const firstStored = await stored(0);
  let range: { min: number; max: number };
  if (!grey) range = valueRange(toModality(firstStored));
  else {
    const values = lut ? applyModalityLut(firstStored, lut) : firstStored;
    const r = (padding && unpaddedRange(values, firstStored, padding)) ?? valueRange(values);
    range = lut ? r : rescaledRange(r, slope, intercept);
  }
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max)) {
    throw new ImagingError(path, `Rescale Slope ${slope} and Intercept ${intercept} turn the stored values into numbers out of range`);
  }
  const paddingValues = padding ? modalityInterval(padding, lut, slope, intercept) : null;
  const modality = info.modality;
  const hide = options.hideIdentifying === true;
  const encoding = encodingOf(dataSet);
  const text = (tag: string): string | null => (hide ? null : textValue(dataSet, tag, encoding));
  const rescaleType = info.rescale?.type?.trim() ?? '';
  // Rescale Type 'US' means unspecified; RT Dose carries its own Dose Units.
  const lutUnits = lut?.type && lut.type !== 'US' ? lut.type : '';
  const units = lut
    ? lutUnits
    : modality === 'CT' && info.rescale
    ? 'HU'
    : info.doseGridScaling !== null && !info.rescale
      ? (str(dataSet, 'x30040002')?.trim() ?? '')
      : rescaleType === 'US' ? '' : rescaleType;
  const summary: Omit<ScanSummary, 'id'> = {
    path: file,
    fileName: basename(file),
    format: 'dicom',
    width: layout.columns,
    height: layout.rows,
    frames: layout.frames,
    channels,
    photometric: layout.photometric,
    bitsStored: layout.bitsStored,
    modality,
    units,
    invertedByDefault: layout.photometric === 'MONOCHROME1',
    valueRange: range,
    pixelPadding: paddingValues,
    windows: info.windows,
    // VOI applies to grayscale only (PS3.3 C.11.2).
    ...(grey && info.voiLuts.length > 0 ? { voiLuts: voiLutPresets(info.voiLuts) } : {}),
    sha256: sha256(bytes),
    patient: {
      name: text('x00100010'),
      id: text('x00100020'),
      studyDate: text('x00080020'),
      studyDescription: text('x00081030'),
    },
  };
  let tagCache: TagNode[] | null = null;
  return {
    summary,
    async frame(n) {
      const index = checkFrameNumber(file, n, layout.frames);
      return toModality(await stored(index));
    },
    async storedFrame(n) {
      const index = checkFrameNumber(file, n, layout.frames);
      // A copy, so a caller that edits it cannot corrupt the cached frame.
      return { data: (await stored(index)).slice() };
    },
    tags() {
      tagCache ??= buildTagTree(dataSet, hide);
      return tagCache;
    },
    voi: { function: info.voiFunction, luts: info.voiLuts },
    padding: paddingValues,
    header: {
      rows: layout.rows,
      columns: layout.columns,
      frames: layout.frames,
      samplesPerPixel: layout.samplesPerPixel,
      photometricInterpretation: layout.photometric,
      planarConfiguration: layout.samplesPerPixel > 1 ? layout.planarConfiguration : null,
      bitsAllocated: layout.bitsAllocated,
      bitsStored: layout.bitsStored,
      highBit: layout.highBit,
      pixelRepresentation: layout.pixelRepresentation,
      dtype: dtypeName(layout),
      rescale: info.rescale,
      windows: info.windows,
      voiLutFunction: info.voiFunction,
      voiLuts: info.voiLuts.length,
      transferSyntaxUID: info.transferSyntax,
      transferSyntax: syntaxName(info.transferSyntax),
    },
  };
}
