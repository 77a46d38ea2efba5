/**
 * Window presets offered on the number keys: the DICOM file's own first (as OHIF and Weasis do),
 * then the full value range, then the usual CT presets when the values are Hounsfield units.
 */
import type { ScanSummary, WindowPreset } from '../../../electron/api/contract';
import { defaultWindow } from './windowing';

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
}

export function presetsFor(scan: ScanSummary): LabelledPreset[] {
  const list: Omit<LabelledPreset, 'key'>[] = [];
  for (const w of scan.windows) list.push({ ...w, name: w.name || 'DICOM', source: 'dicom' });
  const full = defaultWindow(scan.valueRange);
  list.push({ name: 'Full range', center: full.center, width: full.width, source: 'range' });
  if (scan.channels === 1 && scan.units === 'HU') for (const p of CT_PRESETS) list.push({ ...p, source: 'modality' });
  return list.map((p, i) => ({ ...p, key: i < 9 ? i + 1 : null }));
}

/** The window a scan opens with: its first DICOM preset, else its full range. */
export function initialWindow(scan: ScanSummary): { center: number; width: number } {
  const first = scan.windows[0];
  return first ? { center: first.center, width: first.width } : defaultWindow(scan.valueRange);
}
