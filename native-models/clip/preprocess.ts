/**
 * Image preprocessing matching Hugging Face's image processors as preprocessor_config.json
 * configures them: resize (`size` as a shortest edge, CLIPImageProcessor; or as an exact height ×
 * width, SiglipImageProcessor), optional center crop, rescale, normalize with the file's mean and
 * std; plus an optional letterbox (pad to square) for radiographs. The geometric transform is
 * kept so that maps go back to scan coordinates.
 *
 * The model sees an 8-bit RGB image (after the VOI window), resampled exactly as PIL's
 * `Image.resize` does it for the file's `resample` filter (nearest, box, bilinear, hamming,
 * bicubic, lanczos; antialiased when shrinking, 8-bit fixed point).
 */
import type { ClipBundle } from './bundle';
import { UserInputError } from '../errors';

export interface ScanImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Modality values; RGB 0..255 interleaved. */
  pixels: Float32Array;
  window: { center: number; width: number } | null;
  invert: boolean;
}

/**
 * Maps model-input coordinates to scan coordinates. Continuous coordinates: pixel i covers
 * [i, i+1). scanX = modelX * scaleX + offsetX (same for y).
 */
export interface ModelToScan {
  modelWidth: number;
  modelHeight: number;
  scanWidth: number;
  scanHeight: number;
  scaleX: number;
  scaleY: number;
  offsetX: number;
  offsetY: number;
  letterbox: boolean;
}

export interface PreprocessConfig {
  shortestEdge: number;
  /** `size: {height, width}`: resize to exactly this, ignoring the aspect ratio (instead of the shortest edge). */
  resizeTo?: { width: number; height: number } | null;
  cropWidth: number;
  cropHeight: number;
  doResize: boolean;
  doCenterCrop: boolean;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  resample: number;
}

export class PreprocessError extends UserInputError {}

type Bundleish = Pick<ClipBundle, 'preprocessor' | 'imageSize'>;

/** The 0..255 RGB image the model sees before resampling: window (VOI), invert, gray → RGB. */
export function toRgb255(image: ScanImage): Float32Array {
  return to255(image, 3);
}

/** toRgb255 with `C` channels out: 1 only for a grey scan (its three RGB channels are the same). */
function to255(image: ScanImage, C: 1 | 3): Float32Array {
  const { width, height, channels, pixels } = image;
  if (C === 1 && channels !== 1) throw new Error('to255: only a grey scan has one channel');
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PreprocessError(`image size ${width}×${height} is not a positive integer size`);
  }
  if (pixels.length !== n * channels) {
    throw new PreprocessError(`image has ${pixels.length} values, expected ${width}×${height}×${channels} = ${n * channels}`);
  }
  const out = new Float32Array(n * C);
  let lo = 0;
  let span = 255;
  let linear = false;
  if (image.window) {
    const { center, width: w } = image.window;
    if (!(w > 0) || !Number.isFinite(center)) throw new PreprocessError(`window width must be > 0 (got center ${center}, width ${w})`);
    linear = true;
    // DICOM PS3.3 C.11.2.1.2 linear VOI function, output range 0..255.
    lo = center - 0.5 - (w - 1) / 2;
    span = Math.max(w - 1, 1e-6);
  } else if (channels === 1) {
    // No window given: stretch the full value range.
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = pixels[i];
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    linear = true;
    lo = mn;
    span = mx > mn ? mx - mn : 1;
  }
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      let v = channels === 1 ? pixels[i] : pixels[i * 3 + c];
      if (linear) v = ((v - lo) / span) * 255;
      if (!(v >= 0)) v = 0;
      if (v > 255) v = 255;
      if (image.invert) v = 255 - v;
      // uint8, as the PIL image CLIPImageProcessor resizes
      out[i * C + c] = Math.round(v);
    }
  }
  return out;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** PIL's resampling filters (Resample.c): kernel and support, by PIL's `resample` code. */
const FILTERS: Record<number, { name: string; support: number; kernel: (x: number) => number }> = {
  1: { name: 'lanczos', support: 3, kernel: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  2: { name: 'bilinear', support: 1, kernel: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  3: {
    name: 'bicubic',
    support: 2,
    kernel: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  4: { name: 'box', support: 0.5, kernel: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  // PIL writes the window's constants as C floats (0.54f, 0.46f).
  5: { name: 'hamming', support: 1, kernel: (x) => (x <= -1 || x >= 1 ? 0 : x === 0 ? 1 : sinc(x) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(Math.PI * x))) },
};
export const RESAMPLE_NAMES: Record<number, string> = { 0: 'nearest', ...Object.fromEntries(Object.entries(FILTERS).map(([k, f]) => [k, f.name])) };

/** PIL-style separable coefficients for resizing `inSize` → `outSize`. */
function coefficients(inSize: number, outSize: number, resample: number): { starts: Int32Array; counts: Int32Array; weights: Float64Array; stride: number } {
  const { kernel, support: support0 } = FILTERS[resample] ?? FILTERS[3];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = support0 * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let x = xmin; x < xmax; x++) {
      const w = kernel((x - center + 0.5) / filterScale);
      weights[o * stride + (x - xmin)] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < xmax - xmin; x++) weights[o * stride + x] /= total;
    starts[o] = xmin;
    counts[o] = xmax - xmin;
  }
  return { starts, counts, weights, stride };
}

const PRECISION_BITS = 32 - 8 - 2;

/** PIL's fixed-point coefficients (ImagingResampleHorizontal_8bpc / normalize_coeffs_8bpc). */
function fixedPoint(c: { weights: Float64Array }): Float64Array {
  const out = new Float64Array(c.weights.length);
  const one = 2 ** PRECISION_BITS;
  for (let i = 0; i < out.length; i++) {
    const k = c.weights[i];
    out[i] = Math.trunc(k < 0 ? k * one - 0.5 : k * one + 0.5);
  }
  return out;
}

function clip8(v: number): number {
  const r = Math.floor(v / 2 ** PRECISION_BITS);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * Resizes an interleaved 3-channel image of 0..255 integers exactly as PIL does for 8-bit RGB
 * (fixed-point coefficients, horizontal pass first, rounding and clipping to uint8 after each pass),
 * which is what CLIPImageProcessor runs.
 */
export function resizeRgb(src: Float32Array, w: number, h: number, ow: number, oh: number, resample = 3): Float32Array {
  return resizeChannels(src, 3, w, h, ow, oh, resample);
}

/**
 * resizeRgb for an image of `C` interleaved channels: each channel is resized on its own, so a grey
 * scan resized as one channel gives each of its three RGB copies bit for bit (a third of the work).
 */
function resizeChannels(src: Float32Array, C: number, w: number, h: number, ow: number, oh: number, resample: number): Float32Array {
  if (ow === w && oh === h) return src;
  if (resample === 0) return resizeNearest(src, C, w, h, ow, oh);
  const half = 2 ** (PRECISION_BITS - 1);
  const cx = coefficients(w, ow, resample);
  const kx = fixedPoint(cx);
  let tmp = src;
  if (ow !== w) {
    tmp = new Float32Array(ow * h * C);
    for (let y = 0; y < h; y++) {
      for (let o = 0; o < ow; o++) {
        const s = cx.starts[o];
        const cnt = cx.counts[o];
        for (let c = 0; c < C; c++) {
          let acc = half;
          for (let k = 0; k < cnt; k++) acc += kx[o * cx.stride + k] * src[(y * w + s + k) * C + c];
          tmp[(y * ow + o) * C + c] = clip8(acc);
        }
      }
    }
  }
  if (oh === h) return tmp;
  const cy = coefficients(h, oh, resample);
  const ky = fixedPoint(cy);
  const out = new Float32Array(ow * oh * C);
  for (let o = 0; o < oh; o++) {
    const s = cy.starts[o];
    const cnt = cy.counts[o];
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < C; c++) {
        let acc = half;
        for (let k = 0; k < cnt; k++) acc += ky[o * cy.stride + k] * tmp[((s + k) * ow + x) * C + c];
        out[(o * ow + x) * C + c] = clip8(acc);
      }
    }
  }
  return out;
}

/** PIL's NEAREST resize: an affine nearest-neighbour transform, source = floor((x + 0.5) · in/out). */
function resizeNearest(src: Float32Array, C: number, w: number, h: number, ow: number, oh: number): Float32Array {
  const out = new Float32Array(ow * oh * C);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / oh));
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(w - 1, Math.floor(((x + 0.5) * w) / ow));
      for (let c = 0; c < C; c++) out[(y * ow + x) * C + c] = src[(sy * w + sx) * C + c];
    }
  }
  return out;
}

/**
 * Geometry only: where the model's crop lies on the scan. Shared by `preprocess` and by code
 * that needs the transform without pixels (e.g. metrics re-scoring a masked image).
 */
export function planGeometry(cfg: PreprocessConfig, width: number, height: number, letterbox: boolean): {
  padX: number; padY: number; paddedW: number; paddedH: number; resizedW: number; resizedH: number; cropX: number; cropY: number; transform: ModelToScan;
} {
  let padX = 0, padY = 0, paddedW = width, paddedH = height;
  if (letterbox) {
    const side = Math.max(width, height);
    padX = Math.floor((side - width) / 2);
    padY = Math.floor((side - height) / 2);
    paddedW = side;
    paddedH = side;
  }
  let resizedW = paddedW, resizedH = paddedH;
  if (cfg.doResize && cfg.resizeTo) {
    resizedW = cfg.resizeTo.width;
    resizedH = cfg.resizeTo.height;
  } else if (cfg.doResize) {
    // transformers' get_resize_output_image_size: short side → shortest_edge, long side int(size * long / short).
    const short = Math.min(paddedW, paddedH);
    const long = Math.max(paddedW, paddedH);
    const newShort = cfg.shortestEdge;
    const newLong = Math.floor((newShort * long) / short);
    if (paddedW <= paddedH) { resizedW = newShort; resizedH = newLong; } else { resizedH = newShort; resizedW = newLong; }
  }
  let cropX = 0, cropY = 0, outW = resizedW, outH = resizedH;
  if (cfg.doCenterCrop) {
    outW = cfg.cropWidth;
    outH = cfg.cropHeight;
    // transformers center_crop: top = (h - crop_h) // 2 (may be negative: then it pads).
    cropX = Math.floor((resizedW - outW) / 2);
    cropY = Math.floor((resizedH - outH) / 2);
  }
  const sx = resizedW / paddedW;
  const sy = resizedH / paddedH;
  const transform: ModelToScan = {
    modelWidth: outW, modelHeight: outH, scanWidth: width, scanHeight: height,
    scaleX: 1 / sx, scaleY: 1 / sy, offsetX: cropX / sx - padX, offsetY: cropY / sy - padY, letterbox,
  };
  return { padX, padY, paddedW, paddedH, resizedW, resizedH, cropX, cropY, transform };
}

/**
 * From an RGB 0..255 image to the model's normalized NCHW pixel values (one item). `C` 1: a grey
 * image, one value per pixel, taken for each of R, G and B.
 */
export function rgbToPixelValues(rgb: Float32Array, width: number, height: number, cfg: PreprocessConfig, letterbox: boolean, C: 1 | 3 = 3): { pixelValues: Float32Array; transform: ModelToScan } {
  const g = planGeometry(cfg, width, height, letterbox);
  let img = rgb;
  if (letterbox && (g.paddedW !== width || g.paddedH !== height)) {
    img = new Float32Array(g.paddedW * g.paddedH * C);
    for (let y = 0; y < height; y++) img.set(rgb.subarray(y * width * C, (y + 1) * width * C), ((y + g.padY) * g.paddedW + g.padX) * C);
  }
  img = resizeChannels(img, C, g.paddedW, g.paddedH, g.resizedW, g.resizedH, cfg.resample);
  const W = g.transform.modelWidth;
  const H = g.transform.modelHeight;
  const out = new Float32Array(3 * W * H);
  const f = cfg.doRescale ? cfg.rescaleFactor : 1;
  // 1/255 is stored rounded; dividing by 255 is what reproduces PIL → numpy float32 exactly.
  const inv = 1 / f;
  const divisor = Math.abs(inv - Math.round(inv)) < 1e-6 ? Math.round(inv) : 0;
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(cfg.mean[c]);
    const std = Math.fround(cfg.std[c]);
    for (let y = 0; y < H; y++) {
      const sy = y + g.cropY;
      for (let x = 0; x < W; x++) {
        const sx = x + g.cropX;
        let v = 0;
        if (sy >= 0 && sy < g.resizedH && sx >= 0 && sx < g.resizedW) v = img[(sy * g.resizedW + sx) * C + (C === 1 ? 0 : c)];
        // float32 at every step, as numpy does on a float32 array.
        let r = divisor ? Math.fround(v / divisor) : Math.fround(v * f);
        if (cfg.doNormalize) r = Math.fround(Math.fround(r - mean) / std);
        out[c * W * H + y * W + x] = r;
      }
    }
  }
  return { pixelValues: out, transform: g.transform };
}

export function preprocess(bundle: Bundleish, image: ScanImage, opts?: { letterbox?: boolean }): { pixelValues: Float32Array; transform: ModelToScan } {
  const C = image.channels === 1 ? 1 : 3;
  return rgbToPixelValues(to255(image, C), image.width, image.height, bundle.preprocessor, opts?.letterbox ?? false, C);
}

export function parsePreprocessorConfig(json: Record<string, unknown>, imageSize: number, label: string): PreprocessConfig {
  const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const bool = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d);
  const size = json.size;
  let shortestEdge = imageSize;
  let resizeTo: PreprocessConfig['resizeTo'] = null;
  if (typeof size === 'number') shortestEdge = size;
  else if (size && typeof size === 'object') {
    const s = size as Record<string, unknown>;
    if (typeof s.shortest_edge === 'number') shortestEdge = s.shortest_edge;
    else if (typeof s.height === 'number' && typeof s.width === 'number') resizeTo = { width: s.width, height: s.height };
    else throw new PreprocessError(`${label}: size ${JSON.stringify(size)} is neither {"shortest_edge": N} nor {"height": H, "width": W}`);
  }
  const crop = json.crop_size;
  let cropWidth = imageSize, cropHeight = imageSize;
  if (typeof crop === 'number') { cropWidth = crop; cropHeight = crop; }
  else if (crop && typeof crop === 'object') {
    const c = crop as Record<string, unknown>;
    cropWidth = num(c.width, imageSize);
    cropHeight = num(c.height, imageSize);
  }
  const arr3 = (v: unknown, name: string): [number, number, number] => {
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return v as [number, number, number];
    if (v === undefined) return name === 'image_mean' ? [0.48145466, 0.4578275, 0.40821073] : [0.26862954, 0.26130258, 0.27577711];
    throw new PreprocessError(`${label}: ${name} must be a list of 3 numbers`);
  };
  const resample = num(json.resample, 3);
  if (!(resample in RESAMPLE_NAMES)) throw new PreprocessError(`${label}: resample ${resample} is not a PIL filter (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming)`);
  const cfg: PreprocessConfig = {
    shortestEdge,
    resizeTo,
    cropWidth,
    cropHeight,
    doResize: bool(json.do_resize, true),
    // SiglipImageProcessor has no crop at all; CLIPImageProcessor crops by default.
    doCenterCrop: bool(json.do_center_crop, crop !== undefined),
    doRescale: bool(json.do_rescale, true),
    rescaleFactor: num(json.rescale_factor, 1 / 255),
    doNormalize: bool(json.do_normalize, true),
    mean: arr3(json.image_mean, 'image_mean'),
    std: arr3(json.image_std, 'image_std'),
    resample,
  };
  if (!cfg.doCenterCrop) {
    cfg.cropWidth = resizeTo ? resizeTo.width : shortestEdge;
    cfg.cropHeight = resizeTo ? resizeTo.height : shortestEdge;
  }
  if (cfg.std.some((s) => !(s > 0))) throw new PreprocessError(`${label}: image_std must be positive`);
  return cfg;
}
