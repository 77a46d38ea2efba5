/**
 * `candor explain --model DIR --image FILE [--frame N] (--text "..." | --report FILE)
 *   [--method METHOD] [--layer L] [--steps N] [--target image|text|both] [method settings]
 *   [--window C,W] [--letterbox] [--no-metrics] [--prefer auto|cpu|cuda|dml|coreml] [--json OUT|-]`
 * (the methods and their settings: methodsHelp(), from the registry's specs)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DECISIONS, LAYER, METHODS, STEPS, type Decision, type Explanation, type Method, type RecordedFinding } from '../../api/contract';
import { refuseNonDicom, writeFindingObjects, type FindingObjectsInput } from '../../dicom-export/index';
import { AuditStore } from '../../../db/audit-store';
import { completeExplanation, findingInput } from '../../services/explanations';
import { windowedGray, writeFindingsPdf } from '../../services/report';
import { appVersion } from '../../version';
import { loadClipBundle, type ClipBundle, type Prefer } from '../../../native-models/clip/bundle';
import type { ScanImage } from '../../../native-models/clip/preprocess';
import { explain, type ExplanationCore } from '../../../native-models/explain/index';
import { loadScan, type LoadedScan } from '../../imaging/index';
import { intOption, parseArgs, UsageError, type CliIo } from '../io';
import { methodExtra, methodOptionNames, methodsHelp } from '../method-options';

export { intOption, parseArgs, UsageError, type CliIo };
import { scanImageFor } from '../../services/explanations';

export function parseWindow(v: string | undefined): { center: number; width: number } | null {
  if (v === undefined) return null;
  const m = /^\s*(-?[\d.eE+-]+)\s*,\s*([\d.eE+-]+)\s*$/.exec(v);
  const c = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2]) : NaN;
  if (!Number.isFinite(c) || !(w > 0)) throw new UsageError(`--window must be CENTER,WIDTH with WIDTH > 0 (got "${v}")`);
  return { center: c, width: w };
}

/** Reads one frame of a scan with the window the model sees, chosen exactly as the app chooses it. */
export async function scanImageFromFile(file: string, frame: number, window: { center: number; width: number } | null): Promise<{ image: ScanImage; sha256: string; summary: LoadedScan['summary'] }> {
  const scan = await loadScan(file);
  const pixels = await scan.frame(frame);
  return { image: scanImageFor(scan.summary, pixels, window), sha256: scan.summary.sha256, summary: scan.summary };
}

/** The JSON the CLI writes: the Explanation with the map as a plain array. */
export function explanationJson(e: ExplanationCore, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    ...extra,
    method: e.method,
    similarity: e.similarity,
    image: e.image ? { grid: e.image.grid, tokenScores: e.image.tokenScores, map: { width: e.image.map.width, height: e.image.map.height, values: Array.from(e.image.map.values) } } : null,
    text: e.text,
    metrics: e.metrics,
    params: e.params,
    model: e.model,
    provider: e.provider,
    timings: e.timings,
    warnings: e.warnings,
  };
}

export function progressBar(io: CliIo): (fraction: number, stage: string) => void {
  let last = -1;
  let lastStage = '';
  return (f, stage) => {
    const pct = Math.round(f * 100);
    if (pct === last && stage === lastStage) return;
    last = pct;
    lastStage = stage;
    const w = 30;
    const filled = Math.round((pct / 100) * w);
    io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(w - filled)}] ${String(pct).padStart(3)}% ${stage.padEnd(12)}${pct === 100 ? '\n' : ''}`);
  };
}

const USAGE = `usage: candor explain --model DIR --image FILE [--frame N] (--text "..." | --report FILE) [--method ${METHODS.join('|')}] [--layer L] [--steps N] [--target image|text|both] [method settings: see --help] [--window C,W] [--letterbox] [--no-metrics] [--json OUT|-]
       [--db FILE --reviewer NAME --decision agree|disagree|uncertain [--note TEXT] [--study LABEL] [--pdf OUT]] [--dicom OUTDIR]
  --db records the explanation as a finding in the audit log, exactly as the app does; --pdf also writes its PDF report.
  --dicom writes the results as DICOM objects in the scan's study (Parametric Map, Segmentation, Secondary Capture, SR; a DICOM scan only).`;
/** --help adds the methods and their settings (a usage error shows only the usage). */
const HELP = `${USAGE}\n\n${methodsHelp()}`;

export async function explainCommand(args: string[], io: CliIo): Promise<number> {
  let bundle: ClipBundle | null = null;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(`${HELP}\n`);
      return 0;
    }
    const { values, flags } = parseArgs(args, ['model', 'image', 'frame', 'text', 'report', 'method', 'layer', 'steps', 'target', 'json', 'window', 'prefer', 'db', 'reviewer', 'decision', 'note', 'study', 'pdf', 'dicom', ...methodOptionNames()], ['letterbox', 'no-metrics', 'quiet']);
    const record = recordingOptions(values);
    if (!values.model) throw new UsageError('--model DIR is required');
    if (!values.image) throw new UsageError('--image FILE is required');
    if ((values.text === undefined) === (values.report === undefined)) throw new UsageError('give exactly one of --text "..." or --report FILE');
    const method = (values.method ?? 'nib') as Method;
    if (!(METHODS as readonly string[]).includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')} (got "${values.method}")`);
    const target = (values.target ?? 'both') as 'image' | 'text' | 'both';
    if (!['image', 'text', 'both'].includes(target)) throw new UsageError(`--target must be image, text or both (got "${values.target}")`);
    const prefer = (values.prefer ?? 'auto') as Prefer;
    if (!['auto', 'cpu', 'cuda', 'dml', 'coreml'].includes(prefer)) throw new UsageError(`--prefer must be auto, cpu, cuda, dml or coreml`);
    const frame = intOption(values, 'frame', 1, 1e6) ?? 1;
    const layer = intOption(values, 'layer', LAYER.min, LAYER.max);
    const steps = intOption(values, 'steps', STEPS.min, STEPS.max);
    const extra = methodExtra([method], values);
    const window = parseWindow(values.window);
    let text: string;
    if (values.report !== undefined) {
      try {
        text = readFileSync(values.report, 'utf8');
      } catch (e) {
        throw new UsageError(`${values.report}: cannot read the report: ${(e as Error).message}`);
      }
    } else text = values.text;
    if (text.trim() === '') throw new UsageError(values.report !== undefined ? `${values.report}: the report is empty` : 'the report text is empty');

    const { image, sha256, summary: scanSummary } = await scanImageFromFile(values.image, frame, window);
    if (values.dicom) refuseNonDicom(values.image, scanSummary.format);
    bundle = await loadClipBundle(values.model, { prefer });
    const quiet = flags.has('quiet');
    const e = await explain(bundle, image, text, { method, layer, steps, target, extra, letterbox: flags.has('letterbox'), metrics: !flags.has('no-metrics'), onProgress: quiet ? undefined : progressBar(io) });
    for (const w of e.warnings) io.stderr(`warning: ${w}\n`);
    const explained = completeExplanation(e, scanSummary, frame, text, image.window);
    const recorded = record ? await recordFinding(record, explained, scanSummary, image, io) : null;
    const finding = recorded?.summary ?? null;
    if (values.dicom) await writeDicom(values.dicom, { explanation: recorded?.finding.explanation ?? explained, finding: recorded?.finding ?? null, sourcePath: values.image, appVersion: appVersion() }, io);
    const json = explanationJson(e, { input: { image: values.image, frame, scanSha256: sha256, text }, ...(finding ? { finding } : {}) });
    if (values.json === '-') io.stdout(`${JSON.stringify(json)}\n`);
    else if (values.json) {
      writeFileSync(values.json, `${JSON.stringify(json, null, 1)}\n`);
      io.stderr(`wrote ${values.json}\n`);
    }
    if (values.json !== '-') io.stdout(summary(e));
    return 0;
  } catch (e) {
    const err = e as Error;
    io.stderr(`candor explain: ${err.message}\n`);
    if (err instanceof UsageError) io.stderr(`${USAGE}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await bundle?.dispose();
  }
}

interface RecordingOptions {
  db: string;
  reviewer: string;
  decision: Decision;
  note: string;
  study: string | null;
  pdf: string | null;
}

function recordingOptions(values: Record<string, string>): RecordingOptions | null {
  const wanted = ['db', 'reviewer', 'decision', 'note', 'study', 'pdf'].filter((k) => values[k] !== undefined);
  if (wanted.length === 0) return null;
  if (!values.db) throw new UsageError(`--${wanted[0]} needs --db FILE (the finding is recorded in the audit log; the PDF carries its sequence number and event hash)`);
  if (!values.reviewer?.trim()) throw new UsageError('--db needs --reviewer NAME');
  if (!(DECISIONS as readonly string[]).includes(values.decision ?? '')) throw new UsageError(`--db needs --decision ${DECISIONS.join('|')}`);
  return { db: values.db, reviewer: values.reviewer.trim(), decision: values.decision as Decision, note: values.note ?? '', study: values.study ?? null, pdf: values.pdf ?? null };
}

/** The explanation's DICOM objects (of the recorded finding, when there is one) in `outDir`. */
async function writeDicom(outDir: string, input: FindingObjectsInput, io: CliIo): Promise<void> {
  const out = await writeFindingObjects(input, outDir);
  for (const n of out.notes) io.stderr(`note: ${n}\n`);
  io.stderr(`wrote ${out.files.length} DICOM object(s) to ${outDir}: ${out.objects.map((o) => o.fileName).join(', ')}\n`);
}

async function recordFinding(opts: RecordingOptions, explanation: Explanation, scan: LoadedScan['summary'], image: ScanImage, io: CliIo): Promise<{ summary: { id: string; seq: number; eventHash: string; pdf: string | null }; finding: RecordedFinding }> {
  const store = AuditStore.open(opts.db);
  try {
    const rec = store.recordFinding(
      findingInput({ explanation, summary: scan, reviewer: opts.reviewer, decision: opts.decision, note: opts.note, studyLabel: opts.study, appVersion: appVersion(), storeIdentifying: false }),
    );
    io.stderr(`recorded finding ${rec.findingId} as audit event ${rec.seq} (${rec.eventHash.slice(0, 16)}…) in ${store.path}\n`);
    if (opts.pdf) {
      const out = await writeFindingsPdf(store, [rec.findingId], { outPath: opts.pdf, loadScanImage: async () => windowedGray(scan, image.pixels, image.window) });
      io.stderr(`wrote ${out.path} (${out.bytes} bytes)\n`);
    }
    return { summary: { id: rec.findingId, seq: rec.seq, eventHash: rec.eventHash, pdf: opts.pdf }, finding: rec };
  } finally {
    store.close();
  }
}

function summary(e: ExplanationCore): string {
  const lines = [`method ${e.method}  similarity ${e.similarity.toFixed(4)}  model ${e.model.name} (${e.model.sha256.slice(0, 12)})  provider ${e.provider}`];
  if (e.image) lines.push(`image: grid ${e.image.grid.join('×')}, map ${e.image.map.width}×${e.image.map.height}`);
  if (e.text) {
    const top = [...e.text.words].sort((a, b) => b.raw - a.raw).slice(0, 5);
    lines.push(`text: top words ${top.map((w) => `${w.text} (${w.normalized.toFixed(2)})`).join(', ')}`);
  }
  const m = Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ');
  if (m) lines.push(`metrics: ${m}`);
  lines.push(`time: ${Object.entries(e.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('  ')}`);
  return `${lines.join('\n')}\n`;
}
