/** Shapes shared by the imaging modules. */
export type StoredArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

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
