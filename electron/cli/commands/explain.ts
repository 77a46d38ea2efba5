/**
 * `candor explain --model DIR --image FILE [--frame N] (--text "..." | --report FILE)
 *   [--method METHOD] [--layer L] [--steps N] [--target image|text|both] [method settings]
 *   [--precision fp32|int8] [--window C,W] [--letterbox] [--no-metrics | --no-curves] [--prefer auto|cpu|cuda|dml|coreml] [--json OUT|-]`
 * (the methods and their settings: methodsHelp(), from the registry's specs)
 *
 * The PDF writer (pdfkit) and the DICOM export (dcmjs) are imported only when --pdf or --dicom asks
 * for them: loading them on every run took 0.15 s of the command's start-up (0.32 s against 0.16 s
 * to its help text, measured).
 */
import { readFileSync, writeFileSync } from 'node:fs';
// The rooms' own modules, not the contract: its zod schemas check the app's IPC, and loading them cost every run 35 ms.
import { MAX_TEXT_CHARS } from '../../api/limits';
import { DECISIONS, type Decision, type RecordedFinding } from '../../../db/types';
import { LAYER, STEPS } from '../../../native-models/explain/methods';
import { METHODS, type Explanation, type Method } from '../../../native-models/explain/types';
import type { FindingObjectsInput } from '../../dicom-export/index';
import { AuditStore } from '../../../db/audit-store';
import { completeExplanation, findingInput } from '../../services/explanations';
import { appVersion } from '../../version';
import { loadClipBundle, type ClipBundle, type Prefer } from '../../../native-models/clip/bundle';
import type { ScanImage } from '../../../native-models/clip/preprocess';
import { explain, type ExplanationCore } from '../../../native-models/explain/index';
import { explainSentences } from '../../../native-models/explain/all-sentences';
import { loadScan, type LoadedScan } from '../../imaging/index';
import { intOption, parseArgs, UsageError, type CliIo } from '../io';
import { methodExtra, methodOptionNames, methodPrecision, methodsHelp } from '../method-options';
import { cliGuard, cliInstallation, INSTALLATION_HELP, type CliInstallation } from '../installation';
import { installationKey } from '../../../db/installation-key';
import { checkOutputPath, type ProtectedPaths } from '../../../db/file-guard';
import { errorMessage } from '../../../native-models/errors';
import { graphCacheIn } from '../../services/graph-cache';

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
    ...(e.sanity ? { sanity: e.sanity } : {}),
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

const USAGE = `usage: candor explain --model DIR --image FILE [--frame N] (--text "..." | --report FILE) [--method ${METHODS.join('|')}] [--layer L] [--steps N] [--target image|text|both] [method settings: see --help] [--precision fp32|int8] [--window C,W] [--letterbox] [--no-metrics | --no-curves] [--sanity] [--all-sentences] [--json OUT|-]
       [--db FILE --reviewer NAME --decision agree|disagree|uncertain [--note TEXT | --note-file FILE] [--study LABEL] [--pdf OUT] [--config-dir DIR] [--anchors-dir DIR] [--anchor-every N]] [--dicom OUTDIR]
  --db records the explanation as a finding in the audit log, exactly as the app does, and signs the chain head with this
  installation's key; every --anchor-every findings (default 20) a checkpoint file goes into the anchors folder. --pdf also
  writes its PDF report. --text and --note take at most ${MAX_TEXT_CHARS} characters: give longer ones as files (--report, --note-file).
  --sanity adds the model-parameter randomisation check (MPRT): the explained tower's layers re-drawn from the top down to the
  explained layer, the method run again per step; Spearman and SSIM against the original map; fails when the top layer's ρ ≥ 0.5.
  --all-sentences explains every sentence of the report against the image in one job (the image's work shared), each flagged
  when it denies a finding ("No pneumothorax."); the JSON holds { sentences: [{ sentence: { text, start, end, negated, cue, scope }, …explanation }] }.
  It records nothing: record one sentence at a time.
  The metrics are the paper's confidence drop and increase (image and text) and the image's deletion and insertion curves.
  --no-curves leaves the curves out (31 of the 33 model passes the metrics make on a ViT-B/32 model); --no-metrics all of them.
  --dicom writes the results as DICOM objects in the scan's study (Parametric Map, Segmentation, Secondary Capture, SR; a DICOM scan only).`;
/** --help adds the methods, the installation's folders and the exit codes (a usage error shows only the usage). */
const HELP = `${USAGE}

${methodsHelp()}

${INSTALLATION_HELP}

exit codes:
  0  done (and, with --db, recorded, signed, and every output written)
  1  failed: nothing was recorded (an unusable scan, model, database or output path; outputs are checked before recording)
  2  bad usage
  3  the finding WAS recorded (the message names its entry), but a later output (the PDF, the JSON file or the DICOM objects) could not be written`;

/** Past about 28,900 characters of command line onnxruntime-node crashes the process (SIGSEGV) when it creates a session. */
export const MAX_COMMAND_LINE = 24000;

/** The limits the app's API has, and the one the process's command line needs. */
function checkTextLimits(args: string[], values: Record<string, string>): void {
  for (const [name, file] of [['text', 'report'], ['note', 'note-file']] as const) {
    const v = values[name];
    if (v !== undefined && v.length > MAX_TEXT_CHARS) throw new UsageError(`--${name} is ${v.length} characters; the limit is ${MAX_TEXT_CHARS} (as in the app): give a longer one as a file with --${file} FILE`);
  }
  const total = args.reduce((n, a) => n + a.length + 1, 0);
  if (total > MAX_COMMAND_LINE) {
    throw new UsageError(`the command line is ${total} characters long, over the ${MAX_COMMAND_LINE} onnxruntime can take: give the report with --report FILE and the note with --note-file FILE`);
  }
}

function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the ${what}: ${(e as Error).message}`);
  }
}

export async function explainCommand(args: string[], io: CliIo): Promise<number> {
  let bundle: ClipBundle | null = null;
  let recorder: Recorder | null = null;
  try {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(`${HELP}\n`);
      return 0;
    }
    const { values, flags } = parseArgs(args, ['model', 'image', 'frame', 'text', 'report', 'method', 'layer', 'steps', 'target', 'precision', 'json', 'window', 'prefer', 'db', 'reviewer', 'decision', 'note', 'note-file', 'study', 'pdf', 'dicom', 'config-dir', 'anchors-dir', 'anchor-every', ...methodOptionNames()], ['letterbox', 'no-metrics', 'no-curves', 'quiet', 'sanity', 'all-sentences']);
    checkTextLimits(args, values);
    const record = recordingOptions(values);
    const allSentences = flags.has('all-sentences');
    if (allSentences && (record || values.dicom)) throw new UsageError('--all-sentences explains without recording: leave out --db and --dicom (record one sentence at a time)');
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
    const precision = methodPrecision([method], values.precision);
    const window = parseWindow(values.window);
    const text = values.report !== undefined ? readTextFile(values.report, 'report') : values.text;
    if (text.trim() === '') throw new UsageError(values.report !== undefined ? `${values.report}: the report is empty` : 'the report text is empty');

    // Everything that could refuse is checked before anything is recorded: the database, the key, the output paths.
    const inst = cliInstallation(values);
    const guard = cliGuard(inst, record ? [record.db] : []);
    const jsonOut = values.json && values.json !== '-' ? checkOutputPath(values.json, guard, 'the JSON output') : null;
    if (record) recorder = openRecorder(record, inst, guard);

    const measured = { metrics: !flags.has('no-metrics'), curves: !flags.has('no-curves') };
    const packing = sessionPacking({ recorded: record !== null, allSentences, sanity: flags.has('sanity') });
    // The scan's decoder thread starts while the model loads here (ViT-B/32: 60 ms that were waited
    // for). The scan's errors still come first; a model loaded for nothing is released.
    const scanning = scanImageFromFile(values.image, frame, window);
    scanning.catch(() => undefined);
    const loading = loadClipBundle(values.model, { prefer, graphCache: graphCacheIn(inst.paths.configDir), ...packing });
    loading.catch(() => undefined);
    let scanned: Awaited<typeof scanning>;
    try {
      scanned = await scanning;
      if (values.dicom) (await import('../../dicom-export/index')).refuseNonDicom(values.image, scanned.summary.format);
    } catch (err) {
      await (await loading.catch(() => null))?.dispose();
      throw err;
    }
    const { image, sha256, summary: scanSummary } = scanned;
    bundle = await loading;
    const quiet = flags.has('quiet');
    if (allSentences) {
      const t0 = performance.now();
      const all = await explainSentences(bundle, image, text, { method, layer, steps, target, extra, precision, letterbox: flags.has('letterbox'), ...measured, sanity: flags.has('sanity'), onProgress: quiet ? undefined : progressBar(io) });
      const json = {
        input: { image: values.image, frame, scanSha256: sha256, text },
        sentences: all.map(({ sentence: s, explanation: e }) => explanationJson(e, { sentence: { text: s.text, start: s.start, end: s.end, negated: s.negated, cue: s.cue, scope: s.scope } })),
        timings: { totalMs: performance.now() - t0 },
      };
      if (values.json === '-') io.stdout(`${JSON.stringify(json)}\n`);
      else {
        if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(json, null, 1)}\n`);
        for (const [i, { sentence: s, explanation: e }] of all.entries()) io.stdout(`[${i + 1}] ${JSON.stringify(s.text)}${s.negated ? ` (negated: “${s.cue}”)` : ''}\n${summary(e)}`);
      }
      return 0;
    }
    // One explanation per process: each side's graphs go once its map is made (less memory for the metrics).
    const e = await explain(bundle, image, text, { method, layer, steps, target, extra, precision, letterbox: flags.has('letterbox'), ...measured, sanity: flags.has('sanity'), releaseGraphs: true, onProgress: quiet ? undefined : progressBar(io) });
    for (const w of e.warnings) io.stderr(`warning: ${w}\n`);
    const explained = completeExplanation(e, scanSummary, frame, text, image.window);
    const recorded = recorder ? recorder.record(explained, scanSummary, io) : null;
    const failures: string[] = [];
    let pdf: string | null = null;
    if (recorder && recorded) {
      try {
        pdf = await recorder.writePdf(recorded, scanSummary, image, io);
      } catch (err) {
        failures.push(`the PDF could not be written: ${errorMessage(err)}`);
      }
    }
    if (values.dicom) {
      try {
        await writeDicom(values.dicom, { explanation: recorded?.explanation ?? explained, finding: recorded, sourcePath: values.image, appVersion: appVersion() }, io);
      } catch (err) {
        if (!recorded) throw err;
        failures.push(`the DICOM objects could not be written: ${errorMessage(err)}`);
      }
    }
    const finding = recorded ? { id: recorded.findingId, seq: recorded.seq, eventHash: recorded.eventHash, pdf } : null;
    const json = explanationJson(e, { input: { image: values.image, frame, scanSha256: sha256, text }, ...(finding ? { finding } : {}) });
    if (values.json === '-') io.stdout(`${JSON.stringify(json)}\n`);
    else if (jsonOut) {
      try {
        writeFileSync(jsonOut, `${JSON.stringify(json, null, 1)}\n`);
        io.stderr(`wrote ${values.json}\n`);
      } catch (err) {
        if (!recorded) throw err;
        failures.push(`the JSON could not be written: ${errorMessage(err)}`);
      }
    }
    if (values.json !== '-') io.stdout(summary(e));
    if (recorded && failures.length) {
      io.stderr(`candor explain: finding recorded as entry #${recorded.seq} (${recorded.findingId}) in ${recorder!.path}; ${failures.join('; ')}\n`);
      return 3;
    }
    return 0;
  } catch (e) {
    const err = e as Error;
    io.stderr(`candor explain: ${err.message}\n`);
    if (err instanceof UsageError) io.stderr(`${USAGE}\n`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    recorder?.close();
    await bundle?.dispose();
  }
}

/**
 * Which sessions pre-pack their weights for one CLI explanation. One explanation per process:
 * sessions created fast beat sessions that run fast (explain/graphs.ts gradientSession), unless many
 * runs follow (every sentence, the sanity check's re-runs). Not for the metrics' curves either: their
 * 31 ViT-B/32 images ran 0.13–0.17 s slower on unpacked towers, whose sessions are created 0.36 s
 * sooner now that they map their weights (three alternated pairs: 3.87–4.03 s against 4.04–4.23 s).
 * Always packed for a finding recorded in the audit log: packing changes the float rounding
 * (~1e-10), and a finding must replay bit for bit in the app, which packs.
 */
export function sessionPacking(run: { recorded: boolean; allSentences: boolean; sanity: boolean }): { gradientPrepack: boolean; towerPrepack: boolean } {
  const packed = run.recorded || run.allSentences || run.sanity;
  return { gradientPrepack: packed, towerPrepack: packed };
}

/** The explanation's DICOM objects (of the recorded finding, when there is one) in `outDir`. */
async function writeDicom(outDir: string, input: FindingObjectsInput, io: CliIo): Promise<void> {
  const { writeFindingObjects } = await import('../../dicom-export/index');
  const out = await writeFindingObjects(input, outDir);
  for (const n of out.notes) io.stderr(`note: ${n}\n`);
  io.stderr(`wrote ${out.files.length} DICOM object(s) to ${outDir}: ${out.objects.map((o) => o.fileName).join(', ')}\n`);
}

interface RecordingOptions {
  db: string;
  reviewer: string;
  decision: Decision;
  note: string;
  study: string | null;
  pdf: string | null;
  anchorEvery: number;
}

function recordingOptions(values: Record<string, string>): RecordingOptions | null {
  const wanted = ['db', 'reviewer', 'decision', 'note', 'note-file', 'study', 'pdf', 'anchor-every'].filter((k) => values[k] !== undefined);
  if (wanted.length === 0) return null;
  if (!values.db) throw new UsageError(`--${wanted[0]} needs --db FILE (the finding is recorded in the audit log; the PDF carries its sequence number and event hash)`);
  if (!values.reviewer?.trim()) throw new UsageError('--db needs --reviewer NAME');
  if (!(DECISIONS as readonly string[]).includes(values.decision ?? '')) throw new UsageError(`--db needs --decision ${DECISIONS.join('|')}`);
  if (values.note !== undefined && values['note-file'] !== undefined) throw new UsageError('give --note TEXT or --note-file FILE, not both');
  const note = values['note-file'] !== undefined ? readTextFile(values['note-file'], 'note') : (values.note ?? '');
  if (note.length > MAX_TEXT_CHARS) throw new UsageError(`${values['note-file']}: the note is ${note.length} characters; the limit is ${MAX_TEXT_CHARS} (as in the app)`);
  const anchorEvery = intOption(values, 'anchor-every', 1, 1e6) ?? 20;
  return { db: values.db, reviewer: values.reviewer.trim(), decision: values.decision as Decision, note, study: values.study ?? null, pdf: values.pdf ?? null, anchorEvery };
}

interface Recorder {
  path: string;
  record(explanation: Explanation, scan: LoadedScan['summary'], io: CliIo): RecordedFinding;
  writePdf(rec: RecordedFinding, scan: LoadedScan['summary'], image: ScanImage, io: CliIo): Promise<string | null>;
  close(): void;
}

/** Opens the log with the installation's key and checks the PDF path: all before the model runs. */
function openRecorder(opts: RecordingOptions, inst: CliInstallation, guard: ProtectedPaths): Recorder {
  const pdfPath = opts.pdf ? checkOutputPath(opts.pdf, guard, 'the PDF report') : null;
  const key = installationKey(inst.paths);
  const store = AuditStore.open(opts.db, { signingKey: key.key });
  return {
    path: store.path,
    record(explanation, scan, io) {
      const rec = store.recordFinding(
        findingInput({ explanation, summary: scan, reviewer: opts.reviewer, decision: opts.decision, note: opts.note, studyLabel: opts.study, appVersion: appVersion(), storeIdentifying: false }),
      );
      io.stderr(`recorded finding ${rec.findingId} as audit event ${rec.seq} (${rec.eventHash.slice(0, 16)}…) in ${store.path}, signed by key ${key.fingerprint.slice(0, 16)}\n`);
      try {
        const anchor = store.anchorIfDue(inst.anchorsDir, opts.anchorEvery);
        if (anchor) io.stderr(`wrote the checkpoint ${anchor}\n`);
      } catch (err) {
        io.stderr(`warning: the checkpoint could not be written to ${inst.anchorsDir}: ${errorMessage(err)} (the next finding tries again)\n`);
      }
      return rec;
    },
    async writePdf(rec, scan, image, io) {
      if (!pdfPath) return null;
      const { windowedGray, writeFindingsPdf } = await import('../../services/report');
      const out = await writeFindingsPdf(store, [rec.findingId], { outPath: pdfPath, guard, loadScanImage: async () => windowedGray(scan, image.pixels, image.window) });
      io.stderr(`wrote ${out.path} (${out.bytes} bytes)\n`);
      return out.path;
    },
    close: () => store.close(),
  };
}

function summary(e: ExplanationCore): string {
  const lines = [`method ${e.method}${e.params.precision ? ` (${e.params.precision})` : ''}  similarity ${e.similarity.toFixed(4)}  model ${e.model.name} (${e.model.sha256.slice(0, 12)})  provider ${e.provider}`];
  if (e.image) lines.push(`image: grid ${e.image.grid.join('×')}, map ${e.image.map.width}×${e.image.map.height}`);
  if (e.text) {
    const top = [...e.text.words].sort((a, b) => b.raw - a.raw).slice(0, 5);
    lines.push(`text: top words ${top.map((w) => `${w.text} (${w.normalized.toFixed(2)})`).join(', ')}`);
  }
  const m = Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('  ');
  if (m) lines.push(`metrics: ${m}`);
  for (const [side, c] of Object.entries(e.sanity ?? {})) {
    if (c) lines.push(`sanity (${side}, MPRT): ${c.passed ? 'passed' : 'FAILED: the map does not depend on the model\'s learned weights'}; Spearman ${c.spearman.map((v) => v.toFixed(3)).join(', ')}; SSIM ${c.ssim.map((v) => v.toFixed(3)).join(', ')} (layers re-drawn from ${c.layers.join(', ')} up)`);
  }
  lines.push(`time: ${Object.entries(e.timings).map(([k, v]) => `${k} ${v.toFixed(0)}`).join('  ')}`);
  return `${lines.join('\n')}\n`;
}
