// Synthetic chest-radiograph phantoms (PA view, radiological convention: the patient's right is
// on the image's left). A phantom is a normalized description (all lengths in units of the image
// width/height) sampled from a seed, rendered at any resolution, with one pixel mask per finding.

import { fractalNoise, gaussian, mulberry32, pick, randInt, subSeed, uniform, type Rng } from './random';
import { UserInputError } from '../errors';

export const FINDING_TYPES = ['nodule', 'mass', 'effusion', 'cardiomegaly', 'pneumothorax', 'consolidation'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];
export type Side = 'left' | 'right' | 'bilateral';
export type LungSide = 'left' | 'right';
export type Zone = 'upper' | 'middle' | 'lower';
export const ZONES: readonly Zone[] = ['upper', 'middle', 'lower'];

/** Findings whose mask is small and localized: the ones the pointing game is meant for. */
export const FOCAL_TYPES: readonly FindingType[] = ['nodule', 'mass', 'consolidation', 'pneumothorax'];

export interface Anatomy {
  midline: number;
  apexY: number;
  baseY: Record<LungSide, number>;
  domeHeight: Record<LungSide, number>;
  medial: number;
  lungWidth: number;
  heart: { cx: number; cy: number; halfHeight: number; extentRight: number; extentLeft: number };
  bodyHalfWidth: number;
  ribSpacing: number;
  ribStart: number;
  ribThickness: number;
  clavicleY: number;
  gain: number;
  offset: number;
  noiseSigma: number;
  textureSeed: number;
}

export interface Blob {
  x: number;
  y: number;
  sigma: number;
}

export interface FindingSpec {
  type: FindingType;
  side: Side | null;
  zone: Zone | null;
  /** Size qualifier used by the report ("small", "large", "moderate"). */
  size: 'small' | 'moderate' | 'large';
  /** Nodule / mass: center and radius; lobulation phase for masses. */
  cx?: number;
  cy?: number;
  radius?: number;
  lobePhase?: number;
  /** Consolidation: gaussian blobs whose sum above 0.5 is the opacity. */
  blobs?: Blob[];
  /** Effusion: fluid height above the costophrenic angle, per side. */
  fluidHeight?: Partial<Record<LungSide, number>>;
  /** Pneumothorax: depth of the air rim and how far down it reaches (normalized y). */
  depth?: number;
  endY?: number;
  /** Cardiomegaly: factor on the heart's width. */
  enlargement?: number;
}

export interface PhantomSpec {
  seed: number;
  anatomy: Anatomy;
  findings: FindingSpec[];
}

export interface WindowPreset {
  center: number;
  width: number;
  explanation: string;
}

export interface RenderedFinding {
  type: FindingType;
  side: Side | null;
  zone: Zone | null;
  /** 1 inside the finding, row-major, same size as the image. */
  mask: Uint8Array;
}

export interface RenderedPhantom {
  /** Stored pixel values 0..4095 (12 bits), row-major. */
  pixels: Float32Array;
  width: number;
  height: number;
  findings: RenderedFinding[];
  /** The first preset is the study's default window. */
  windows: WindowPreset[];
}

export const BITS_STORED = 12;
export const MAX_PIXEL_VALUE = (1 << BITS_STORED) - 1;
export const DEFAULT_WINDOW: WindowPreset = { center: 1900, width: 3400, explanation: 'DEFAULT' };
export const WINDOW_PRESETS: readonly WindowPreset[] = [
  DEFAULT_WINDOW,
  { center: 1300, width: 1800, explanation: 'LUNG' },
  { center: 2700, width: 1600, explanation: 'MEDIASTINUM' },
];

export class PhantomSpecError extends UserInputError {}

const EDGE = 0.006;

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Soft step: 0 for x ≤ -w, 1 for x ≥ w; makes edges resolution-independent and alias-free. */
function soft(x: number, w = EDGE): number {
  const t = clamp01((x + w) / (2 * w));
  return t * t * (3 - 2 * t);
}

function lungSideOfU(anatomy: Anatomy, u: number): LungSide {
  return u < anatomy.midline ? 'right' : 'left';
}

/** Distance from the midline toward the given lung's side (negative on the other side). */
function lateralDistance(anatomy: Anatomy, side: LungSide, u: number): number {
  return side === 'right' ? anatomy.midline - u : u - anatomy.midline;
}

function uOfDistance(anatomy: Anatomy, side: LungSide, a: number): number {
  return side === 'right' ? anatomy.midline - a : anatomy.midline + a;
}

export function lateralEdge(anatomy: Anatomy, side: LungSide, v: number): number {
  const t = clamp01((v - anatomy.apexY) / (anatomy.baseY[side] - anatomy.apexY));
  return anatomy.medial + anatomy.lungWidth * Math.pow(t, 0.45);
}

export function diaphragmY(anatomy: Anatomy, side: LungSide, a: number): number {
  const peak = anatomy.medial + 0.4 * anatomy.lungWidth;
  const z = (a - peak) / (0.42 * anatomy.lungWidth);
  return anatomy.baseY[side] - anatomy.domeHeight[side] * Math.exp(-z * z);
}

function heartLevel(anatomy: Anatomy, heartScale: number, u: number, v: number): number {
  const h = anatomy.heart;
  const dx = u - h.cx;
  // Patient's right of the heart is on the image's left (dx < 0).
  const hw = (dx < 0 ? h.extentRight : h.extentLeft) * heartScale;
  const hh = h.halfHeight * (1 + 0.15 * (heartScale - 1));
  const r = Math.sqrt((dx / hw) ** 2 + ((v - h.cy) / hh) ** 2);
  return 1 - r; // > 0 inside; roughly a normalized distance
}

function heartScaleOf(spec: PhantomSpec): number {
  const c = spec.findings.find((f) => f.type === 'cardiomegaly');
  return c?.enlargement ?? 1;
}

/** Soft lung membership in [0, 1] for one lung; the hard lung is `> 0.5`. */
function lungLevel(anatomy: Anatomy, heartScale: number, side: LungSide, u: number, v: number): number {
  const a = lateralDistance(anatomy, side, u);
  if (a < anatomy.medial - 0.02) return 0;
  const s1 = soft(a - anatomy.medial);
  const s2 = soft(lateralEdge(anatomy, side, v) - a);
  const s3 = soft(diaphragmY(anatomy, side, a) - v);
  const s4 = soft(v - anatomy.apexY);
  const s5 = 1 - soft(heartLevel(anatomy, heartScale, u, v) * 0.12);
  return s1 * s2 * s3 * s4 * s5;
}

export function zoneBounds(anatomy: Anatomy, side: LungSide, zone: Zone): [number, number] {
  const top = anatomy.apexY;
  const span = anatomy.baseY[side] - top;
  const k = ZONES.indexOf(zone);
  return [top + (span * k) / 3, top + (span * (k + 1)) / 3];
}

export function zoneOfY(anatomy: Anatomy, side: LungSide, v: number): Zone {
  for (const z of ZONES) {
    const [, hi] = zoneBounds(anatomy, side, z);
    if (v < hi) return z;
  }
  return 'lower';
}

function sampleAnatomy(rng: Rng, seed: number): Anatomy {
  const midline = 0.5 + uniform(rng, -0.015, 0.015);
  const apexY = uniform(rng, 0.11, 0.16);
  const baseRight = uniform(rng, 0.7, 0.78);
  return {
    midline,
    apexY,
    baseY: { right: baseRight, left: baseRight + uniform(rng, 0.0, 0.03) },
    domeHeight: { right: uniform(rng, 0.07, 0.1), left: uniform(rng, 0.05, 0.08) },
    medial: uniform(rng, 0.045, 0.06),
    lungWidth: uniform(rng, 0.3, 0.34),
    heart: {
      cx: midline + uniform(rng, 0.01, 0.03),
      cy: baseRight - uniform(rng, 0.09, 0.11),
      halfHeight: uniform(rng, 0.12, 0.14),
      extentRight: uniform(rng, 0.085, 0.1),
      extentLeft: uniform(rng, 0.12, 0.14),
    },
    bodyHalfWidth: uniform(rng, 0.42, 0.46),
    ribSpacing: uniform(rng, 0.068, 0.078),
    ribStart: uniform(rng, 0.1, 0.14),
    ribThickness: uniform(rng, 0.017, 0.022),
    clavicleY: uniform(rng, 0.12, 0.15),
    gain: uniform(rng, 0.92, 1.08),
    offset: uniform(rng, -0.03, 0.03),
    noiseSigma: uniform(rng, 0.012, 0.03),
    textureSeed: subSeed(seed, 'texture'),
  };
}

function hardLung(anatomy: Anatomy, heartScale: number, side: LungSide, u: number, v: number): boolean {
  return lungLevel(anatomy, heartScale, side, u, v) > 0.5;
}

/** Picks a point well inside a lung zone, away from the edges by `margin`. */
function samplePointInZone(
  rng: Rng,
  anatomy: Anatomy,
  heartScale: number,
  side: LungSide,
  zone: Zone,
  margin: number,
): [number, number] {
  const [lo, hi] = zoneBounds(anatomy, side, zone);
  for (let attempt = 0; attempt < 200; attempt++) {
    const v = uniform(rng, lo + 0.25 * (hi - lo), hi - 0.25 * (hi - lo));
    const lat = lateralEdge(anatomy, side, v);
    const a = uniform(rng, anatomy.medial + margin, lat - margin);
    const u = uOfDistance(anatomy, side, a);
    // The whole disc of radius `margin` must lie in the lung: check a ring of points.
    let inside = a > anatomy.medial && hardLung(anatomy, heartScale, side, u, v);
    for (let k = 0; k < 8 && inside; k++) {
      const th = (k * Math.PI) / 4;
      inside = hardLung(anatomy, heartScale, side, u + margin * Math.cos(th), v + margin * Math.sin(th));
    }
    if (inside) return [u, v];
  }
  // Zone too small for that margin (rare, extreme anatomy): fall back to the zone's center line.
  const v = (lo + hi) / 2;
  return [uOfDistance(anatomy, side, anatomy.medial + 0.5 * (lateralEdge(anatomy, side, v) - anatomy.medial)), v];
}

export interface FindingRequest {
  type: FindingType;
  side?: Side;
  zone?: Zone;
}

function sampleFinding(rng: Rng, anatomy: Anatomy, heartScale: number, req: FindingRequest): FindingSpec {
  const lungSide = (): LungSide => (req.side === 'left' || req.side === 'right' ? req.side : pick(rng, ['left', 'right'] as const));
  switch (req.type) {
    case 'nodule':
    case 'mass': {
      const side = lungSide();
      const zone = req.zone ?? pick(rng, ZONES);
      const radius = req.type === 'nodule' ? uniform(rng, 0.022, 0.035) : uniform(rng, 0.05, 0.07);
      const [cx, cy] = samplePointInZone(rng, anatomy, heartScale, side, zone, radius + 0.01);
      const size = req.type === 'nodule' ? (radius < 0.028 ? 'small' : 'moderate') : radius > 0.062 ? 'large' : 'moderate';
      return { type: req.type, side, zone, size, cx, cy, radius, lobePhase: uniform(rng, 0, 2 * Math.PI) };
    }
    case 'consolidation': {
      const side = lungSide();
      const zone = req.zone ?? pick(rng, ZONES);
      const [cx, cy] = samplePointInZone(rng, anatomy, heartScale, side, zone, 0.05);
      const n = randInt(rng, 4, 7);
      const blobs: Blob[] = [];
      for (let i = 0; i < n; i++) {
        blobs.push({ x: cx + uniform(rng, -0.04, 0.04), y: cy + uniform(rng, -0.035, 0.035), sigma: uniform(rng, 0.022, 0.035) });
      }
      return { type: 'consolidation', side, zone, size: n > 5 ? 'large' : 'moderate', blobs };
    }
    case 'effusion': {
      const side: Side = req.side ?? pick(rng, ['left', 'right', 'left', 'right', 'bilateral'] as const);
      const fluidHeight: Partial<Record<LungSide, number>> = {};
      for (const s of ['left', 'right'] as const) {
        if (side === s || side === 'bilateral') fluidHeight[s] = uniform(rng, 0.09, 0.17);
      }
      const maxH = Math.max(...Object.values(fluidHeight));
      return { type: 'effusion', side, zone: null, size: maxH > 0.14 ? 'large' : maxH < 0.115 ? 'small' : 'moderate', fluidHeight };
    }
    case 'pneumothorax': {
      const side = lungSide();
      const depth = uniform(rng, 0.035, 0.075);
      const endY = anatomy.apexY + uniform(rng, 0.4, 0.65) * (anatomy.baseY[side] - anatomy.apexY);
      return { type: 'pneumothorax', side, zone: null, size: depth > 0.06 ? 'large' : depth < 0.045 ? 'small' : 'moderate', depth, endY };
    }
    case 'cardiomegaly': {
      const enlargement = uniform(rng, 1.3, 1.45);
      return { type: 'cardiomegaly', side: null, zone: null, size: enlargement > 1.4 ? 'large' : 'moderate', enlargement };
    }
  }
}

/** Random finding list: about 1 in 5 phantoms is normal, the rest have one or two findings. */
export function sampleFindingRequests(rng: Rng): FindingRequest[] {
  const r = rng();
  const count = r < 0.2 ? 0 : r < 0.7 ? 1 : 2;
  const types: FindingType[] = [];
  while (types.length < count) {
    const t = pick(rng, FINDING_TYPES);
    if (!types.includes(t)) types.push(t);
  }
  return types.map((type) => ({ type }));
}

/**
 * Samples a phantom description. `requests` fixes the findings (type, optionally side and zone);
 * without it the findings are drawn at random.
 */
export function samplePhantom(seed: number, requests?: FindingRequest[]): PhantomSpec {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new PhantomSpecError(`phantom seed must be an integer in 0..2^32-1, got ${seed}`);
  }
  const rng = mulberry32(subSeed(seed, 'phantom'));
  const anatomy = sampleAnatomy(rng, seed);
  const reqs = requests ?? sampleFindingRequests(rng);
  const types = reqs.map((r) => r.type);
  if (new Set(types).size !== types.length) {
    throw new PhantomSpecError(`each finding type may appear once per phantom, got [${types.join(', ')}]`);
  }
  const findings: FindingSpec[] = [];
  // Cardiomegaly changes where the lungs are, so it is placed first.
  const ordered = [...reqs].sort((a, b) => Number(b.type === 'cardiomegaly') - Number(a.type === 'cardiomegaly'));
  let heartScale = 1;
  for (const req of ordered) {
    const f = sampleFinding(rng, anatomy, heartScale, req);
    if (f.type === 'cardiomegaly') heartScale = f.enlargement ?? 1;
    findings.push(f);
  }
  findings.sort((a, b) => types.indexOf(a.type) - types.indexOf(b.type));
  return { seed, anatomy, findings };
}

interface FieldSample {
  density: number;
  inFinding: boolean[];
}

function massRadius(f: FindingSpec, u: number, v: number): number {
  const r = f.radius ?? 0;
  if (f.type !== 'mass') return r;
  const th = Math.atan2(v - (f.cy ?? 0), u - (f.cx ?? 0));
  return r * (1 + 0.12 * Math.sin(3 * th + (f.lobePhase ?? 0)) + 0.07 * Math.sin(5 * th + 2 * (f.lobePhase ?? 0)));
}

function consolidationLevel(f: FindingSpec, u: number, v: number): number {
  let s = 0;
  for (const b of f.blobs ?? []) s += Math.exp(-((u - b.x) ** 2 + (v - b.y) ** 2) / (2 * b.sigma * b.sigma));
  return s;
}

function effusionSurface(anatomy: Anatomy, side: LungSide, a: number, height: number): number {
  // Meniscus: the fluid climbs higher along the lateral chest wall.
  const t = clamp01((a - anatomy.medial) / anatomy.lungWidth);
  return anatomy.baseY[side] - height - 0.07 * t * t;
}

function collapsedLateralEdge(anatomy: Anatomy, f: FindingSpec, side: LungSide, v: number): number {
  const endY = f.endY ?? anatomy.apexY;
  const taper = clamp01((endY - v) / 0.12);
  return lateralEdge(anatomy, side, v) - (f.depth ?? 0) * taper;
}

function inPneumothorax(anatomy: Anatomy, heartScale: number, f: FindingSpec, side: LungSide, u: number, v: number): number {
  const lung = lungLevel(anatomy, heartScale, side, u, v);
  if (lung <= 0) return 0;
  const a = lateralDistance(anatomy, side, u);
  const collapsedApex = anatomy.apexY + (f.depth ?? 0) * 0.9;
  const collapsed = soft(collapsedLateralEdge(anatomy, f, side, v) - a, 0.004) * soft(v - collapsedApex, 0.004);
  return lung * (1 - collapsed);
}

function sampleField(spec: PhantomSpec, u: number, v: number): FieldSample {
  const A = spec.anatomy;
  const heartScale = heartScaleOf(spec);
  const side = lungSideOfU(A, u);
  const a = lateralDistance(A, side, u);
  const du = Math.abs(u - A.midline);
  const ts = A.textureSeed;

  const neck = 0.13 + (A.bodyHalfWidth - 0.13) * soft(v - 0.09, 0.06);
  const body = soft(neck - du, 0.01);
  const thickness = Math.sqrt(clamp01(1 - (du / A.bodyHalfWidth) ** 2));
  let d = 0.04 + body * (0.22 + 0.38 * thickness);
  // Spine and mediastinum, with vertebral banding.
  const spine = soft(0.05 - du, 0.012) * body;
  d += spine * (0.07 + 0.025 * Math.cos((v * 2 * Math.PI) / 0.045));
  // Abdomen under the diaphragm is denser; a gastric bubble sits under the left dome.
  const belowDiaphragm = soft(v - diaphragmY(A, side, Math.max(a, A.medial)), 0.01);
  d += 0.05 * belowDiaphragm * body;
  const bubbleU = A.midline + A.medial + 0.16;
  const bubbleV = diaphragmY(A, 'left', A.medial + 0.16) + 0.035;
  d -= 0.12 * soft(0.03 - Math.hypot((u - bubbleU) * 0.8, v - bubbleV), 0.008) * body;

  const heart = soft(heartLevel(A, heartScale, u, v) * 0.12);
  d += 0.06 * heart;

  const lung = lungLevel(A, heartScale, side, u, v);
  // Lung markings: vessels fanning out from the hilum, denser near it.
  const hilumDist = Math.hypot(a - A.medial - 0.06, v - 0.45);
  const vessels = Math.max(0, fractalNoise(ts, u, v, 18) + 0.2) * (1 - Math.min(0.75, hilumDist * 2));
  let lungAir = 0.36 * (0.85 + 0.15 * thickness) - 0.16 * vessels;

  const inFinding: boolean[] = new Array<boolean>(spec.findings.length).fill(false);
  let added = 0;
  spec.findings.forEach((f, i) => {
    switch (f.type) {
      case 'nodule':
      case 'mass': {
        const r = massRadius(f, u, v);
        const dist = Math.hypot(u - (f.cx ?? 0), v - (f.cy ?? 0));
        const level = soft(r - dist, f.type === 'mass' ? 0.006 : 0.004);
        added += (f.type === 'mass' ? 0.3 : 0.26) * level * (0.9 + 0.1 * fractalNoise(ts ^ 7, u, v, 60));
        inFinding[i] = dist < r;
        break;
      }
      case 'consolidation': {
        const fs = f.side === 'left' || f.side === 'right' ? f.side : side;
        const own = lungLevel(A, heartScale, fs, u, v);
        const c = consolidationLevel(f, u, v);
        const level = soft(c - 0.5, 0.25) * own;
        // Air bronchograms: a few darker streaks inside the opacity.
        const bronchi = Math.max(0, fractalNoise(ts ^ 11, u * 0.6, v * 1.6, 30) - 0.55);
        added += 0.25 * level * (0.85 + 0.15 * fractalNoise(ts ^ 13, u, v, 45)) - 0.1 * level * bronchi;
        inFinding[i] = c > 0.5 && own > 0.5;
        break;
      }
      case 'effusion': {
        for (const s of ['left', 'right'] as const) {
          const h = f.fluidHeight?.[s];
          if (h === undefined || s !== side) continue;
          const fluid = soft(v - effusionSurface(A, s, a, h), 0.008);
          lungAir *= 1 - 0.95 * fluid * lung;
          inFinding[i] = lung > 0.5 && v > effusionSurface(A, s, a, h);
        }
        break;
      }
      case 'pneumothorax': {
        const s = f.side === 'left' ? 'left' : 'right';
        if (s !== side) break;
        const ptx = inPneumothorax(A, heartScale, f, s, u, v);
        // No vessel markings in the air rim, a little darker, and a fine visceral pleural line.
        lungAir = lungAir * (1 - ptx) + ptx * (0.36 * (0.85 + 0.15 * thickness) + 0.07);
        const edge = collapsedLateralEdge(A, f, s, v);
        const line = soft(0.0035 - Math.abs(a - edge), 0.002) * soft((f.endY ?? 0) - v, 0.02) * lung;
        added += 0.1 * line;
        inFinding[i] = ptx > 0.5;
        break;
      }
      case 'cardiomegaly':
        inFinding[i] = heartLevel(A, heartScale, u, v) > 0;
        break;
    }
  });
  d -= lung * lungAir;
  d += added;

  // Posterior ribs: arcs from the spine, rising a little then falling laterally.
  const ribSide = Math.max(0, a - 0.02) / A.lungWidth;
  const ribZone = soft(lateralEdge(A, side, Math.max(v, A.apexY + 0.05)) + 0.03 - a, 0.01) * soft(a - 0.02, 0.01);
  let rib = 0;
  for (let k = 0; k < 10; k++) {
    const center = A.ribStart + k * A.ribSpacing - 0.05 * ribSide + 0.13 * ribSide * ribSide;
    rib = Math.max(rib, soft(A.ribThickness / 2 - Math.abs(v - center), 0.004));
  }
  d += 0.065 * rib * ribZone * (0.45 + 0.55 * lung) * (v < 0.82 ? 1 : 0);
  // Clavicles.
  const clavCenter = A.clavicleY - 0.04 * Math.min(a, 0.3) / 0.3;
  d += 0.1 * soft(0.014 - Math.abs(v - clavCenter), 0.004) * soft(0.3 - a, 0.02) * soft(a - 0.03, 0.01);

  return { density: d, inFinding };
}

/** 12-bit stored value of a density (before noise). */
function toStored(A: Anatomy, density: number): number {
  return 300 + 3300 * (A.offset + A.gain * density);
}

/**
 * Renders a phantom at `width`×`height` pixels (each pixel sampled at its center in normalized
 * coordinates, so any resolution shows the same anatomy).
 */
export function renderPhantom(spec: PhantomSpec, width: number, height = width): RenderedPhantom {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width * height > 4096 * 4096) {
    throw new PhantomSpecError(`render size must be integers 16..4096, got ${width}x${height}`);
  }
  const A = spec.anatomy;
  const pixels = new Float32Array(width * height);
  const masks = spec.findings.map(() => new Uint8Array(width * height));
  const noiseRng = mulberry32(subSeed(spec.seed, `noise:${width}x${height}`));
  // Pixel noise is defined for a 256-px detector; finer renders get proportionally more, so that
  // downsampling any render to model size gives about the same grain.
  const noiseScale = A.noiseSigma * Math.sqrt((width * height) / (256 * 256));
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) / height;
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width;
      const s = sampleField(spec, u, v);
      const grain = noiseScale * gaussian(noiseRng);
      const value = toStored(A, s.density + grain);
      const idx = y * width + x;
      pixels[idx] = Math.min(MAX_PIXEL_VALUE, Math.max(0, Math.round(value)));
      for (let i = 0; i < masks.length; i++) if (s.inFinding[i]) masks[i][idx] = 1;
    }
  }
  return {
    pixels,
    width,
    height,
    findings: spec.findings.map((f, i) => ({ type: f.type, side: f.side, zone: f.zone, mask: masks[i] })),
    windows: WINDOW_PRESETS.map((w) => ({ ...w })),
  };
}

/** DICOM linear VOI window (PS3.3 C.11.2.1.2.1) to 0..255, as the app applies it. */
export function windowTo8bit(pixels: Float32Array, window: WindowPreset): Uint8Array {
  const out = new Uint8Array(pixels.length);
  const c = window.center - 0.5;
  const w = window.width - 1;
  for (let i = 0; i < pixels.length; i++) {
    const x = pixels[i];
    let y: number;
    if (x <= c - w / 2) y = 0;
    else if (x > c + w / 2) y = 255;
    else y = ((x - c) / w + 0.5) * 255;
    out[i] = Math.round(y);
  }
  return out;
}
