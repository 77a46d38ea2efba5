/**
 * Window presets offered on the number keys: the DICOM file's own first (its windows, then its
 * VOI LUTs, as OHIF and Weasis do), then the full value range, then the usual CT presets when the
 * values are Hounsfield units. A preset that repeats one before it is left out, so the file's
 * SOFT_TISSUE 40/400 is not offered again as "Soft tissue". And the labels of windows and ranges,
 * at a precision that fits the scan's values (HU as integers, a dose in Gy to 3–4 digits).
 */
import type { ScanSummary, VoiLutPreset, WindowPreset } from '../../../electron/api/contract';
import { defaultWindow, type Window } from './windowing';

export const CT_PRESETS: WindowPreset[] = [
  { name: 'Soft tissue', center: 40, width: 400 },
  { name: 'Lung', center: -600, width: 1500 },
  { name: 'Bone', center: 480, width: 2500 },
  { name: 'Brain', center: 40, width: 80 },
  { name: 'Liver', center: 90, width: 150 },
];

export interface LabelledPreset extends WindowPreset {
  source: 'dicom' | 'range' | 'modality';
  /** The number key that applies it (1–9), or null past the ninth. */
  key: number | null;
  /** A VOI LUT of the file, applied as the table; center/width span its ramp, where a drag starts. */
  lut?: VoiLutPreset;
}

type Candidate = Omit<LabelledPreset, 'key'>;

export function presetsFor(scan: ScanSummary): LabelledPreset[] {
  const grey = scan.channels === 1;
  const candidates: Candidate[] = [
    ...scan.windows.map((w): Candidate => ({ ...w, name: w.name || 'DICOM', source: 'dicom' })),
    ...(grey ? (scan.voiLuts ?? []) : []).map((lut): Candidate => ({ name: lut.name, ...lutSpan(lut), lut, source: 'dicom' })),
    { name: 'Full range', ...defaultWindow(scan.valueRange), source: 'range' },
    ...(grey && scan.units === 'HU' ? CT_PRESETS.map((p): Candidate => ({ ...p, source: 'modality' })) : []),
  ];
  const kept: Candidate[] = [];
  for (const c of candidates) if (!kept.some((k) => repeats(c, k))) kept.push(c);
  return kept.map((p, i) => ({ ...p, key: i < 9 ? i + 1 : null }));
}

/** The window a scan opens with (and Reset returns to): its first preset, so the file's own when it has one. */
export function initialWindow(scan: ScanSummary): Window {
  return presetWindow(presetsFor(scan)[0]!);
}

/** What the viewer draws for a preset: its window, or the file's VOI LUT. */
export function presetWindow(p: LabelledPreset): Window {
  return p.lut ? { center: p.center, width: p.width, lut: p.lut } : { center: p.center, width: p.width };
}

/** A generic preset repeats an earlier one with the same window or the same name up to case, spaces and underscores. */
function repeats(later: Candidate, earlier: Candidate): boolean {
  if (later.lut || earlier.lut) return later.lut === earlier.lut;
  if (same(later.center, earlier.center) && same(later.width, earlier.width)) return true;
  return later.source !== 'dicom' && nameKey(later.name) === nameKey(earlier.name);
}

function same(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function nameKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** The modality values over which a VOI LUT's output rises: a linear window to start a drag from. */
function lutSpan(lut: VoiLutPreset): { center: number; width: number } {
  const { data } = lut;
  const last = data.length - 1;
  let lo = 0;
  while (lo < last && data[lo + 1] === data[0]) lo++;
  let hi = last;
  while (hi > lo && data[hi - 1] === data[last]) hi--;
  const width = Math.max(1, hi - lo);
  return { center: lut.firstMapped + lo + width / 2, width };
}

/**
 * A value at a precision that fits the span of the values it is read against: about three
 * significant digits of the span, trailing zeros dropped (HU as integers, 0.8–1.25 relative dose
 * as 1.024, a 70 Gy dose as 35.2).
 */
export function formatNumber(value: number, span: number): string {
  if (!Number.isFinite(value)) return String(value);
  const scale = Number.isFinite(span) && span > 0 ? span : Math.abs(value) || 1;
  const decimals = Math.min(10, Math.max(0, 2 - Math.floor(Math.log10(scale))));
  const text = value.toFixed(decimals);
  const trimmed = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return trimmed === '-0' ? '0' : trimmed;
}

function spanOf(range: { min: number; max: number }): number {
  return range.max - range.min;
}

/** The viewer's corner label of the window on screen, e.g. "W 400 / L 40", "W 0.459 / L 1.024", or the VOI LUT's name. */
export function windowLabel(win: Window, range: { min: number; max: number }): string {
  if (win.lut) return /\blut\b/i.test(win.lut.name) ? win.lut.name : `VOI LUT ${win.lut.name}`;
  const span = spanOf(range);
  return `W ${formatNumber(win.width, span)} / L ${formatNumber(win.center, span)}`;
}

/** A preset button's tooltip: its window (or that it is the file's VOI LUT) and its key. */
export function presetTitle(p: LabelledPreset, range: { min: number; max: number }): string {
  const span = spanOf(range);
  const what = p.lut ? `the file’s VOI LUT (${p.lut.data.length} entries)` : `C ${formatNumber(p.center, span)} W ${formatNumber(p.width, span)}`;
  return p.key ? `${what} (key ${p.key})` : what;
}

/** A value range as the tag browser shows it, e.g. "0.795 … 1.254". */
export function rangeLabel(range: { min: number; max: number }): string {
  const span = spanOf(range);
  return `${formatNumber(range.min, span)} … ${formatNumber(range.max, span)}`;
}
