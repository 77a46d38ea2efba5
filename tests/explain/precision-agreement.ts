// How far NIB at int8 agrees with fp32 on the same inputs: the demo studies (scan + whole report)
// explained both ways. Shared by the agreement test (tests/explain/precision.test.ts) and the
// bench (tests/bench/precision.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClipBundle } from '../../native-models/clip/bundle';
import type { ScanImage } from '../../native-models/clip/preprocess';
import { STUDIES_DIR, type DemoStudyIndex } from '../../native-models/demo/studies';
import { explain, type ExplanationCore } from '../../native-models/explain/index';
import { spearman } from '../../native-models/explain/map-similarity';
import type { Precision } from '../../native-models/explain/types';
import { loadScan } from '../../electron/imaging/index';
import { scanImageFor } from '../../electron/services/explanations';

export interface StudyInput {
  id: string;
  image: ScanImage;
  text: string;
}

export async function demoStudies(): Promise<StudyInput[]> {
  const index = JSON.parse(readFileSync(join(STUDIES_DIR, 'index.json'), 'utf8')) as DemoStudyIndex;
  return Promise.all(index.studies.map(async (s) => {
    const scan = await loadScan(join(STUDIES_DIR, s.scan));
    return { id: s.id, image: scanImageFor(scan.summary, await scan.frame(1), null), text: readFileSync(join(STUDIES_DIR, s.report), 'utf8') };
  }));
}

export interface Agreement {
  /** Spearman's ρ of the patch scores (the map before upsampling), and of the drawn map in scan pixels. */
  patchSpearman: number;
  mapSpearman: number;
  /** Largest |int8 − fp32| of the words' raw scores (units of cosine similarity), relative to fp32's largest |score|, and of their normalized scores. */
  wordRawMax: number;
  wordRawRelative: number;
  wordNormMax: number;
  /** Whether the highest-scored word is the same. */
  topWordSame: boolean;
}

export function agreement(fp32: ExplanationCore, int8: ExplanationCore): Agreement {
  if (!fp32.image || !int8.image || !fp32.text || !int8.text) throw new Error('both explanations need an image map and word scores');
  const [wf, wq] = [fp32.text.words, int8.text.words];
  let raw = 0, norm = 0, scale = 0;
  for (let i = 0; i < wf.length; i++) {
    raw = Math.max(raw, Math.abs(wq[i].raw - wf[i].raw));
    norm = Math.max(norm, Math.abs(wq[i].normalized - wf[i].normalized));
    scale = Math.max(scale, Math.abs(wf[i].raw));
  }
  const top = (w: typeof wf) => w.reduce((b, x, i) => (x.raw > w[b].raw ? i : b), 0);
  return {
    patchSpearman: spearman(fp32.image.tokenScores, int8.image.tokenScores),
    mapSpearman: spearman(fp32.image.map.values, int8.image.map.values),
    wordRawMax: raw,
    wordRawRelative: raw / (scale || 1),
    wordNormMax: norm,
    topWordSame: top(wf) === top(wq),
  };
}

export function explainAt(bundle: ClipBundle, s: StudyInput, precision: Precision, target: 'both' | 'image' | 'text' = 'both'): Promise<ExplanationCore> {
  return explain(bundle, s.image, s.text, { method: 'nib', target, precision, metrics: false });
}
