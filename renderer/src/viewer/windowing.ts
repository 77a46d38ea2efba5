/**
 * Modality values → display bytes (DICOM PS3.3 C.11.2.1.2 linear VOI, or the file's VOI LUT),
 * kept pure for tests and workers.
 *
 * Dragging window/level on a large 16-bit image must not touch every float per update, so a frame
 * is prepared once into a bin index per pixel (exact for integer data up to 65 536 distinct
 * values) and each window change only rebuilds a small lookup table of packed RGBA words.
 */
import type { VoiLutPreset } from '../../../electron/api/contract';

export interface Window {
  center: number;
  width: number;
  /** The file's VOI LUT: applied instead of center/width, which then only start a drag. */
  lut?: VoiLutPreset;
}

/** The grey level (0..255, unrounded, not inverted) that a window gives each modality value. */
function greyOf(win: Window): (value: number) => number {
  const lut = win.lut;
  if (lut) {
    const last = lut.data.length - 1;
    const scale = 255 / (2 ** lut.bits - 1);
    return (value) => {
      const k = Math.round(value) - lut.firstMapped;
      return Math.min(255, lut.data[k > last ? last : k >= 0 ? k : 0]! * scale);
    };
  }
  // LINEAR assumes integer values and a width of at least 1; a narrower window (RT Dose and other
  // fractional data) is drawn LINEAR_EXACT (C.11.2.1.3), the same ramp without the half-value offsets.
  const w = win.width > 0 ? win.width : 1;
  const lo = w >= 1 ? win.center - 0.5 - (w - 1) / 2 : win.center - w / 2;
  const scale = 255 / Math.max(1e-9, w >= 1 ? w - 1 : w);
  return (value) => {
    const v = (value - lo) * scale;
    return v < 0 ? 0 : v > 255 ? 255 : v;
  };
}

/** The reference mapping of one value: identical formula to the lookup table's. */
export function windowValue(value: number, win: Window, invert: boolean): number {
  const v = greyOf(win)(value);
  return invert ? 255 - v : v;
}

export function renderToRgba(
  pixels: Float32Array,
  channels: 1 | 3,
  win: Window,
  invert: boolean,
  out: Uint8ClampedArray,
): void {
  const n = out.length / 4;
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      const r = pixels[i * 3]!, g = pixels[i * 3 + 1]!, b = pixels[i * 3 + 2]!;
      out[i * 4] = invert ? 255 - r : r;
      out[i * 4 + 1] = invert ? 255 - g : g;
      out[i * 4 + 2] = invert ? 255 - b : b;
      out[i * 4 + 3] = 255;
    }
    return;
  }
  const greyAt = greyOf(win);
  for (let i = 0; i < n; i++) {
    const g = greyAt(pixels[i]!);
    const v = invert ? 255 - g : g;
    const o = i * 4;
    out[o] = v;
    out[o + 1] = v;
    out[o + 2] = v;
    out[o + 3] = 255;
  }
}

/** The window over the whole value range; fractional data (an RT Dose in Gy) keeps its fractional width. */
export function defaultWindow(range: { min: number; max: number }): Window {
  const width = range.max > range.min ? range.max - range.min : 1;
  return { center: range.min + width / 2, width };
}

/** A frame made ready for fast repeated windowing. */
export interface PreparedFrame {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Grayscale: the bin of each pixel; bin k stands for value binMin + k·binStep. */
  index: Uint16Array | null;
  binMin: number;
  binStep: number;
  bins: number;
  /** True when every value maps to its bin exactly (integer data with < 65 536 levels). */
  exact: boolean;
  /** Values that are pixel padding: drawn black whatever the window and inversion. */
  padding: { min: number; max: number } | null;
  /** Colour: the RGBA bytes, plain and inverted, made on first use. */
  rgb: Float32Array | null;
  rgbaCache: { plain: Uint32Array | null; inverted: Uint32Array | null };
}

const MAX_BINS = 65536;

export function prepareFrame(pixels: Float32Array, width: number, height: number, channels: 1 | 3, padding: { min: number; max: number } | null = null): PreparedFrame {
  const n = width * height;
  if (pixels.length < n * channels) {
    throw new Error(`frame has ${pixels.length} values, ${width}×${height}×${channels} expected`);
  }
  const base = { width, height, channels, padding: channels === 1 ? padding : null, rgbaCache: { plain: null, inverted: null } };
  if (channels === 3) return { ...base, index: null, binMin: 0, binStep: 1, bins: 0, exact: true, rgb: pixels };
  let min = Infinity, max = -Infinity, integer = true;
  for (let i = 0; i < n; i++) {
    const v = pixels[i]!;
    if (!(v === v)) continue; // NaN pixels draw as the lowest bin
    if (v < min) min = v;
    if (v > max) max = v;
    if (integer && v !== Math.round(v)) integer = false;
  }
  if (min === Infinity) min = max = 0;
  const exact = integer && max - min < MAX_BINS;
  const bins = exact ? max - min + 1 : MAX_BINS;
  const step = exact ? 1 : (max - min) / (MAX_BINS - 1) || 1;
  const index = new Uint16Array(n);
  const inv = 1 / step;
  for (let i = 0; i < n; i++) {
    const v = pixels[i]!;
    index[i] = v === v ? Math.round((v - min) * inv) : 0;
  }
  return { ...base, index, binMin: min, binStep: step, bins, exact, rgb: null };
}

/** Packs RGBA bytes into one little-endian 32-bit word, the layout of ImageData on every platform we ship. */
function pack(r: number, g: number, b: number): number {
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** The lookup table bin → packed grey RGBA for one window; rounding as Uint8ClampedArray does. */
export function buildLut(prepared: PreparedFrame, win: Window, invert: boolean, into?: Uint32Array): Uint32Array {
  const lut = into && into.length >= prepared.bins ? into : new Uint32Array(prepared.bins);
  const grey = new Uint8ClampedArray(prepared.bins);
  const greyAt = greyOf(win);
  for (let k = 0; k < prepared.bins; k++) {
    const v = greyAt(prepared.binMin + k * prepared.binStep);
    grey[k] = invert ? 255 - v : v;
  }
  for (let k = 0; k < prepared.bins; k++) {
    const g = grey[k]!;
    lut[k] = pack(g, g, g);
  }
  const pad = prepared.padding;
  if (pad) {
    for (let k = 0; k < prepared.bins; k++) {
      const v = prepared.binMin + k * prepared.binStep;
      if (v >= pad.min && v <= pad.max) lut[k] = pack(0, 0, 0);
    }
  }
  return lut;
}

/** Writes the windowed frame into `out` (the Uint32 view of an ImageData buffer). */
export function renderPrepared(prepared: PreparedFrame, win: Window, invert: boolean, out: Uint32Array, lutScratch?: Uint32Array): void {
  const n = prepared.width * prepared.height;
  if (prepared.channels === 3) {
    out.set(colourWords(prepared, invert).subarray(0, n));
    return;
  }
  const lut = buildLut(prepared, win, invert, lutScratch);
  const index = prepared.index!;
  for (let i = 0; i < n; i++) out[i] = lut[index[i]!]!;
}

function colourWords(prepared: PreparedFrame, invert: boolean): Uint32Array {
  const key = invert ? 'inverted' : 'plain';
  const cached = prepared.rgbaCache[key];
  if (cached) return cached;
  const n = prepared.width * prepared.height;
  const bytes = new Uint8ClampedArray(n * 4);
  renderToRgba(prepared.rgb!, 3, { center: 0, width: 1 }, invert, bytes);
  const words = new Uint32Array(bytes.buffer);
  prepared.rgbaCache[key] = words;
  return words;
}

/**
 * A frame reduced by `factor` in each direction by averaging factor×factor boxes (edge boxes
 * average what they hold). The viewer draws a reduced level when the image is shown smaller
 * than its size, so a window drag touches no more pixels than the screen shows.
 */
export function downsample(pixels: Float32Array, width: number, height: number, channels: 1 | 3, factor: number): { pixels: Float32Array; width: number; height: number } {
  if (factor <= 1) return { pixels, width, height };
  const w = Math.ceil(width / factor), h = Math.ceil(height / factor);
  const out = new Float32Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const y0 = y * factor, y1 = Math.min(height, y0 + factor);
    for (let x = 0; x < w; x++) {
      const x0 = x * factor, x1 = Math.min(width, x0 + factor);
      for (let c = 0; c < channels; c++) {
        let sum = 0, n = 0;
        for (let yy = y0; yy < y1; yy++)
          for (let xx = x0; xx < x1; xx++) {
            const v = pixels[(yy * width + xx) * channels + c]!;
            if (v === v) {
              sum += v;
              n++;
            }
          }
        out[(y * w + x) * channels + c] = n ? sum / n : NaN;
      }
    }
  }
  return { pixels: out, width: w, height: h };
}

/** The reduction level (factor 2^level) whose resolution still meets the screen's at this zoom. */
export function levelFor(zoom: number, devicePixelRatio = 1): number {
  const screenPerImage = zoom * devicePixelRatio;
  if (!(screenPerImage > 0) || screenPerImage >= 0.5) return 0;
  return Math.min(4, Math.floor(Math.log2(1 / screenPerImage)));
}
