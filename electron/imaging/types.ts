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
