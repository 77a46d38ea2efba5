/** Shapes shared by the imaging modules. */
export type StoredArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** How the pixel samples of a DICOM image are laid out (Image Pixel module). */
export interface PixelLayout {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometric: string;
  planarConfiguration: 0 | 1;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  /**
   * Float Pixel Data (7FE0,0008; 32 bits) or Double Float Pixel Data (7FE0,0009; 64 bits), as a
   * Parametric Map carries them: the samples are IEEE floats, not integers (Bits Stored, High Bit
   * and Pixel Representation do not apply).
   */
  floatingPoint?: boolean;
}

/** One palette channel (red, green or blue) of a PALETTE COLOR image. */
export interface PaletteChannel {
  entries: number;
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

/** A VOI LUT from the VOI LUT Sequence. */
export interface VoiLut {
  entries: number;
  firstMapped: number;
  bits: number;
  data: Uint16Array;
  explanation: string | null;
}

export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** A Modality LUT from the Modality LUT Sequence (0028,3000), used instead of rescale. */
export interface ModalityLut {
  entries: number;
  firstMapped: number;
  bits: number;
  data: Uint16Array;
  /** Modality LUT Type (0028,3004): the unit of the output, e.g. HU, OD; US = unspecified. */
  type: string | null;
  explanation: string | null;
}

/** Stored values that are padding (Pixel Padding Value and Range Limit), inclusive. */
export interface PaddingRange {
  low: number;
  high: number;
}

/** A named window (VOI) the viewer offers: the file's own presets, then generic ones. */
export interface WindowPreset {
  name: string;
  center: number;
  width: number;
}

/**
 * A VOI LUT from the file, offered as a window preset and applied as the lookup table it is
 * (PS3.3 C.11.2.1.1): modality value v shows as data[v − firstMapped] / (2^bits − 1), clamped
 * to the table's ends.
 */
export interface VoiLutPreset {
  /** The LUT Explanation (0028,3003), else "VOI LUT" (numbered when the file has several). */
  name: string;
  firstMapped: number;
  bits: number;
  data: Uint16Array;
}

/** What the viewer needs to know about a scan, without its pixels. */
export interface ScanSummary {
  id: string;
  path: string;
  fileName: string;
  format: 'dicom' | 'png' | 'jpeg';
  width: number;
  height: number;
  frames: number;
  /** 1 = grayscale (modality values), 3 = RGB 0..255 */
  channels: 1 | 3;
  photometric: string;
  bitsStored: number;
  modality: string | null;
  /** Unit of the values under the cursor: 'HU' for CT, otherwise the modality's own. */
  units: string;
  /** MONOCHROME1: higher values are darker. The viewer inverts by default. */
  invertedByDefault: boolean;
  /** The full value range over the first frame, for a default window. */
  valueRange: { min: number; max: number };
  /** Modality values that are Pixel Padding (0028,0120/0121): background, drawn black; null when none. */
  pixelPadding: { min: number; max: number } | null;
  windows: WindowPreset[];
  /** The file's VOI LUTs (VOI LUT Sequence); absent when it has none. */
  voiLuts?: VoiLutPreset[];
  sha256: string;
  /** Identifying and descriptive tags shown in the UI (hidden by the user's choice). */
  patient: { name: string | null; id: string | null; studyDate: string | null; studyDescription: string | null };
}

/** One frame of modality values (after rescale), row-major; colour interleaved RGB. */
export interface FramePixels {
  scanId: string;
  frame: number;
  width: number;
  height: number;
  channels: 1 | 3;
  pixels: Float32Array;
}
