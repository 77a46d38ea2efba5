// The sample studies shipped with the app: phantoms rendered at 512 px and written as DICOM
// (12-bit DX/CR, 384 px to keep the committed assets small) and 8-bit PNG, each with its report, its finding masks (PNG) and an index.json.
// Regenerate with `node --import tsx native-models/demo/studies.ts [outDir]`.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from 'fast-png';
import { phantomToDicom } from './dicom-writer';
import { DEFAULT_WINDOW, renderPhantom, samplePhantom, windowTo8bit, type FindingRequest, type FindingType, type Side, type Zone } from './phantom';
import { writeReport } from './report-grammar';
import { UserInputError } from '../errors';

const here = dirname(fileURLToPath(import.meta.url));
export const STUDIES_DIR = join(here, 'studies');
export const STUDY_SIZE = 384;

export interface DemoStudyFinding {
  type: FindingType;
  side: Side | null;
  zone: Zone | null;
  /** The report sentence naming the finding, and its character span in the report. */
  sentence: string;
  sentenceStart: number;
  sentenceEnd: number;
  /** Mask PNG (8-bit gray, 255 inside), relative to index.json. */
  mask: string;
}

export interface DemoStudy {
  id: string;
  title: string;
  /** DICOM file, relative to index.json. */
  scan: string;
  /** The same image windowed with the default window, 8-bit PNG. */
  png: string;
  /** Report text file (UTF-8), relative to index.json. */
  report: string;
  modality: 'DX' | 'CR';
  seed: number;
  findings: DemoStudyFinding[];
}

/** index.json: the app opens `studies[0]` by default. */
export interface DemoStudyIndex {
  format: 'candor-demo-studies/1';
  studies: DemoStudy[];
}

interface StudyPlan {
  id: string;
  title: string;
  seed: number;
  modality: 'DX' | 'CR';
  findings: FindingRequest[];
}

/** The first one is what the app opens by default. */
export const STUDY_PLANS: readonly StudyPlan[] = [
  { id: 'demo-01', title: 'Nodule, right upper zone', seed: 101, modality: 'DX', findings: [{ type: 'nodule', side: 'right', zone: 'upper' }] },
  { id: 'demo-02', title: 'Consolidation, left lower zone', seed: 202, modality: 'DX', findings: [{ type: 'consolidation', side: 'left', zone: 'lower' }] },
  { id: 'demo-03', title: 'Right pneumothorax', seed: 303, modality: 'CR', findings: [{ type: 'pneumothorax', side: 'right' }] },
  { id: 'demo-04', title: 'Cardiomegaly with bilateral effusions', seed: 404, modality: 'DX', findings: [{ type: 'cardiomegaly' }, { type: 'effusion', side: 'bilateral' }] },
  { id: 'demo-05', title: 'Normal chest', seed: 505, modality: 'DX', findings: [] },
];

function maskPng(mask: Uint8Array, width: number, height: number): Uint8Array {
  const data = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) data[i] = mask[i] ? 255 : 0;
  return encode({ width, height, data, channels: 1, depth: 8 });
}

export function writeSampleStudies(outDir: string = STUDIES_DIR): DemoStudy[] {
  mkdirSync(outDir, { recursive: true });
  const studies: DemoStudy[] = [];
  for (const plan of STUDY_PLANS) {
    const spec = samplePhantom(plan.seed, plan.findings);
    const img = renderPhantom(spec, STUDY_SIZE);
    const report = writeReport(spec.findings, plan.seed);
    const dicom = phantomToDicom(img, {
      modality: plan.modality,
      patientName: `Phantom^${plan.id.replace('-', '')}`,
      patientId: `CANDOR-${plan.id.toUpperCase()}`,
      accessionNumber: `DEMO${plan.seed}`,
      studyDescription: `Chest PA - ${plan.title} (synthetic phantom)`,
      studyDate: '20260101',
      studyTime: '090000',
      uidLabel: `candor-demo/${plan.id}/${plan.seed}`,
      pixelSpacingMm: 1.0,
    });
    writeFileSync(join(outDir, `${plan.id}.dcm`), dicom);
    const gray = windowTo8bit(img.pixels, DEFAULT_WINDOW);
    writeFileSync(join(outDir, `${plan.id}.png`), encode({ width: img.width, height: img.height, data: gray, channels: 1, depth: 8 }));
    writeFileSync(join(outDir, `${plan.id}.report.txt`), report.text + '\n');
    const findings: DemoStudyFinding[] = [];
    for (const s of report.sentences) {
      if (s.findingIndex === null) continue;
      const f = img.findings[s.findingIndex];
      const maskName = `${plan.id}.mask-${f.type}.png`;
      writeFileSync(join(outDir, maskName), maskPng(f.mask, img.width, img.height));
      findings.push({ type: f.type, side: f.side, zone: f.zone, sentence: s.text, sentenceStart: s.start, sentenceEnd: s.end, mask: maskName });
    }
    studies.push({
      id: plan.id,
      title: plan.title,
      scan: `${plan.id}.dcm`,
      png: `${plan.id}.png`,
      report: `${plan.id}.report.txt`,
      modality: plan.modality,
      seed: plan.seed,
      findings,
    });
  }
  const index: DemoStudyIndex = { format: 'candor-demo-studies/1', studies };
  writeFileSync(join(outDir, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  return studies;
}

export class DemoStudiesError extends UserInputError {}

/** Reads index.json and resolves every path to an absolute one. */
export function loadDemoStudies(dir: string = STUDIES_DIR): DemoStudy[] {
  const indexPath = join(dir, 'index.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new DemoStudiesError(`cannot read the demo study list ${indexPath}: ${(e as Error).message}`);
  }
  const list = (parsed as Partial<DemoStudyIndex> | null)?.studies;
  if (!Array.isArray(list)) throw new DemoStudiesError(`${indexPath}: expected { "studies": [...] }`);
  return (list as DemoStudy[]).map((s) => ({
    ...s,
    scan: resolve(dir, s.scan),
    png: resolve(dir, s.png),
    report: resolve(dir, s.report),
    findings: s.findings.map((f) => ({ ...f, mask: resolve(dir, f.mask) })),
  }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? STUDIES_DIR);
  const studies = writeSampleStudies(out);
  console.log(`wrote ${studies.length} studies to ${out}`);
}
