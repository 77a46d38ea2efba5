// Report grammar: varied, realistic sentences for each finding and for normal structures. Absent
// findings are often named with a negation ("No pleural effusion."), so the same words appear in
// reports with and without the finding and a model has to read the words around them.

import type { FindingSpec, FindingType } from './phantom';
import { mulberry32, pick, shuffle, subSeed, type Rng } from './random';

export interface ReportSentence {
  text: string;
  /** Character span in the report text, end exclusive. */
  start: number;
  end: number;
  /** Index into the phantom's findings for a positive finding sentence; null otherwise. */
  findingIndex: number | null;
  kind: 'finding' | 'negative' | 'normal';
  /** Finding types this sentence denies (kind 'negative'). */
  negates: FindingType[];
}

export interface Report {
  text: string;
  sentences: ReportSentence[];
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function zoneWord(rng: Rng, zone: string | null): string {
  if (zone === 'middle') return pick(rng, ['middle', 'mid']);
  return zone ?? '';
}

function sizeWord(rng: Rng, size: FindingSpec['size'], type: FindingType): string {
  if (type === 'nodule') return size === 'small' ? pick(rng, ['small', 'small', 'tiny']) : pick(rng, ['', '8 mm', 'solitary']);
  if (size === 'large') return 'large';
  if (size === 'small') return 'small';
  return pick(rng, ['moderate', '']);
}

function join(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join(' ');
}

/** One sentence describing a present finding. */
export function findingSentence(rng: Rng, f: FindingSpec): string {
  const side = f.side ?? '';
  const zone = zoneWord(rng, f.zone);
  const size = sizeWord(rng, f.size, f.type);
  switch (f.type) {
    case 'nodule':
      return pick(rng, [
        () => cap(join(size, `nodule in the ${side} ${zone} zone.`)),
        () => `There is a ${join(size, `${side} ${zone} zone nodule.`)}`,
        () => `A ${join(size, `pulmonary nodule projects over the ${side} ${zone} zone.`)}`,
        () => cap(`${side} ${zone} zone nodule.`),
        () => cap(join(size, `rounded nodular opacity in the ${side} ${zone} zone.`)),
      ])();
    case 'mass':
      return pick(rng, [
        () => cap(join(size, `mass in the ${side} ${zone} zone.`)),
        () => `There is a ${join(size, `${side} ${zone} zone mass, suspicious for malignancy.`)}`,
        () => `Lobulated mass in the ${side} ${zone} zone.`,
        () => cap(`${side} ${zone} zone mass lesion.`),
      ])();
    case 'consolidation':
      return pick(rng, [
        () => `Consolidation in the ${side} ${zone} zone.`,
        () => `Patchy ${side} ${zone} zone consolidation, likely pneumonia.`,
        () => `Airspace opacity in the ${side} ${zone} zone, consistent with consolidation.`,
        () => cap(`${side} ${zone} zone consolidation.`),
        () => `There is focal consolidation in the ${side} ${zone} zone.`,
      ])();
    case 'effusion':
      if (f.side === 'bilateral') {
        return pick(rng, [
          () => cap(join(size, 'bilateral pleural effusions.')),
          () => 'Bilateral pleural effusions with blunting of both costophrenic angles.',
          () => `There are ${join(size, 'bilateral pleural effusions.')}`,
        ])();
      }
      return pick(rng, [
        () => cap(join(size, `${side} pleural effusion.`)),
        () => `There is a ${join(size, `${side} pleural effusion with blunting of the costophrenic angle.`)}`,
        () => cap(`${side}-sided pleural effusion.`),
        () => `Blunting of the ${side} costophrenic angle, consistent with a ${join(size, 'pleural effusion.')}`,
      ])();
    case 'pneumothorax':
      return pick(rng, [
        () => cap(join(size, `${side} apical pneumothorax.`)),
        () => `There is a ${join(size, `${side} pneumothorax.`)}`,
        () => cap(`${side} pneumothorax with a visible pleural line.`),
        () => cap(join(size, `${side}-sided pneumothorax.`)),
      ])();
    case 'cardiomegaly':
      return pick(rng, [
        () => 'The heart is enlarged.',
        () => 'Cardiomegaly.',
        () => cap(join(f.size === 'large' ? 'marked' : 'moderate', 'cardiomegaly.')),
        () => 'The cardiac silhouette is enlarged.',
        () => 'Heart size is enlarged.',
      ])();
  }
}

const NEGATIVES: Record<FindingType, readonly string[]> = {
  nodule: ['No pulmonary nodule.', 'No suspicious pulmonary nodule.', 'No nodule is seen.'],
  mass: ['No lung mass.', 'No mass is seen.', 'There is no mass.'],
  effusion: ['No pleural effusion.', 'The costophrenic angles are sharp.', 'No effusion.', 'There is no pleural effusion.'],
  cardiomegaly: [
    'Heart size is within normal limits.',
    'The heart is not enlarged.',
    'Normal cardiac silhouette.',
    'No cardiomegaly.',
    'Heart size is normal.',
  ],
  pneumothorax: ['No pneumothorax.', 'There is no pneumothorax.', 'No pneumothorax is seen.'],
  consolidation: ['No focal consolidation.', 'No consolidation.', 'There is no airspace consolidation.'],
};

const FILLERS: readonly string[] = [
  'The mediastinum is normal.',
  'No acute osseous abnormality.',
  'The bones are unremarkable.',
  'Mediastinal contours are normal.',
];

/**
 * Writes a report for a finding list. Deterministic for a given `seed`; different seeds give
 * different wordings and orders of the same content (training draws several per phantom).
 */
export function writeReport(findings: readonly FindingSpec[], seed: number): Report {
  const rng = mulberry32(subSeed(seed, 'report'));
  const present = new Set(findings.map((f) => f.type));
  const parts: Omit<ReportSentence, 'start' | 'end'>[] = [];
  const positive = shuffle(
    rng,
    findings.map((f, i) => ({ text: findingSentence(rng, f), findingIndex: i, kind: 'finding' as const, negates: [] })),
  );
  parts.push(...positive);

  const negatives: Omit<ReportSentence, 'start' | 'end'>[] = [];
  const lungFindings: FindingType[] = ['nodule', 'mass', 'consolidation'];
  const lungClear = lungFindings.every((t) => !present.has(t)) && !present.has('pneumothorax');
  if (lungClear && rng() < 0.35) {
    negatives.push({ text: pick(rng, ['The lungs are clear.', 'No focal lung opacity.']), findingIndex: null, kind: 'negative', negates: [...lungFindings] });
  } else if (!present.has('nodule') && !present.has('mass') && rng() < 0.5) {
    negatives.push({ text: pick(rng, ['No focal nodule or mass.', 'No pulmonary nodule or mass.']), findingIndex: null, kind: 'negative', negates: ['nodule', 'mass'] });
    if (!present.has('consolidation') && rng() < 0.7) {
      negatives.push({ text: pick(rng, NEGATIVES.consolidation), findingIndex: null, kind: 'negative', negates: ['consolidation'] });
    }
  } else {
    for (const t of lungFindings) {
      if (!present.has(t) && rng() < 0.6) negatives.push({ text: pick(rng, NEGATIVES[t]), findingIndex: null, kind: 'negative', negates: [t] });
    }
  }
  for (const t of ['effusion', 'pneumothorax', 'cardiomegaly'] as const) {
    if (!present.has(t) && rng() < 0.75) negatives.push({ text: pick(rng, NEGATIVES[t]), findingIndex: null, kind: 'negative', negates: [t] });
  }
  parts.push(...shuffle(rng, negatives));
  if (findings.length === 0 && rng() < 0.4) {
    parts.unshift({ text: pick(rng, ['No acute cardiopulmonary abnormality.', 'Normal chest radiograph.']), findingIndex: null, kind: 'normal', negates: [] });
  }
  if (rng() < 0.3) parts.push({ text: pick(rng, FILLERS), findingIndex: null, kind: 'normal', negates: [] });

  const sentences: ReportSentence[] = [];
  let text = '';
  for (const p of parts) {
    if (text.length > 0) text += ' ';
    const start = text.length;
    text += p.text;
    sentences.push({ ...p, start, end: text.length });
  }
  return { text, sentences };
}
