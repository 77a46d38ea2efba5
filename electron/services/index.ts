/** The main-process services behind every contract channel, shared by Electron, the test host and tests. */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AnchorInput, Explanation, SampleStudy, ScanSummary, SentenceExplanation } from '../api/contract';
import type { ServiceTable } from '../ipc/handlers';
import { errorMessage, ModelOutputError, NotFoundError, UnavailableError, UserInputError } from '../../native-models/errors';
import { explain, type ExplainOptions } from '../../native-models/explain/index';
import { explainSentences } from '../../native-models/explain/all-sentences';
import { AuditStore } from '../../db/audit-store';
import { ScanRegistry, frameOf } from './scans';
import { LruMap } from './lru';
import { JobRunner } from './explain-jobs';
import { graphCacheIn } from './graph-cache';
import { ModelHost } from './model-host';
import { completeExplanation, findingInput, scanImageFor } from './explanations';
import { localise } from './localisation';
import { freshReportPath, reportFileName, windowedGray, writeFindingsPdf } from './report';
import { saveFindingDicom } from './dicom';
import { pacsServices } from './pacs';
import { findingResultFiles } from './pacs-results';
import type { ScanImageLoader } from '../report/finding-report';
import type { Timeouts } from '../pacs/index';
import { replayFinding, type ReplayScan } from './replay';
import { keyProtectionFor, type SafeStorageLike } from './key-protection';
import { loadScan } from '../imaging/index';
import { defaultConfigDir, installationPaths } from '../../db/installation';
import { installationKey } from '../../db/installation-key';
import { KeyError, PLAIN_FILE, type KeyProtection } from '../../db/signing';
import { TrustStore } from '../../db/trust';
import { parseAnchor, readAnchorFile, type AnchorClaim } from '../../db/anchors';
import { protectedPaths } from '../../db/file-guard';

export interface ServiceConfig {
  appVersion: string;
  modelDir: string | null;
  samplesIndex: string | null;
  dbPath: string | null;
  chooseFile?: () => Promise<string | null>;
  /** Store patient name/ID in the audit log (off unless the user allows it). */
  storeIdentifying?: boolean;
  /** Where "Save as DICOM" writes; default: `exports` beside the audit database. */
  exportsDir?: string;
  /**
   * The installation's folder (signing key, trust store, anchors, reports); default
   * defaultConfigDir(): CANDOR_CONFIG_DIR, else the user's config folder. Never the database's folder.
   */
  configDir?: string;
  /** Where derived model graphs are kept across restarts (the app: userData); default <configDir>; see graph-cache.ts. */
  cacheFolder?: string;
  /** Where checkpoint files (anchors) are written; default <configDir>/anchors. */
  anchorsDir?: string;
  /** An anchor is written after this many findings (and at dispose(), the app's exit); default 20. */
  anchorEvery?: number;
  /** Where report:pdf writes when there is no save dialog; default <configDir>/reports. */
  reportsDir?: string;
  /** Electron: the save dialog for report:pdf (the suggested file name in, the chosen path or null out). */
  chooseSavePath?: (suggestedName: string) => Promise<string | null>;
  /** Electron: its safeStorage; the signing key is then kept encrypted by the OS keychain (keyProtectionFor). */
  safeStorage?: SafeStorageLike;
  /** How the signing key is kept, where not chosen from safeStorage; default a plain owner-only file. */
  keyProtection?: KeyProtection;
  /** Where a failure that must not fail the request (an anchor not written) is reported. */
  log?: (line: string) => void;
  /** Where studies pulled from a PACS are kept; default: pacs-cache beside the audit database. */
  pacsCacheDir?: string;
  pacsTimeouts?: Timeouts;
}

export function defaultPacsCache(config: Pick<ServiceConfig, 'dbPath' | 'pacsCacheDir'>): string {
  return config.pacsCacheDir ?? (config.dbPath ? join(dirname(config.dbPath), 'pacs-cache') : join(tmpdir(), 'candor-pacs-cache'));
}

/** Findings between two anchors written by the app. */
export const DEFAULT_ANCHOR_EVERY = 20;

/** An anchor as the auditor handed it: a file path, or bytes with a name. */
export function anchorClaims(inputs: readonly AnchorInput[]): AnchorClaim[] {
  return inputs.flatMap((a) => ('path' in a ? readAnchorFile(a.path) : parseAnchor(Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength), a.name)));
}

export function readSampleStudies(indexFile: string | null): SampleStudy[] {
  if (!indexFile) return [];
  const base = dirname(indexFile);
  const raw = JSON.parse(readFileSync(indexFile, 'utf8')) as { studies?: { title: string; scan: string; report: string }[] };
  return (raw.studies ?? []).map((s) => ({
    title: s.title,
    scanPath: resolve(base, s.scan),
    reportText: readFileSync(resolve(base, s.report), 'utf8').trim(),
  }));
}

/**
 * How many explanations the session keeps for recording, least recently used dropped first
 * (recorded ones too, so "record again" works while they are recent). Each holds an attribution
 * map of up to a scan's size in floats (1 MB at 512×512).
 */
export const MAX_KEPT_EXPLANATIONS = 64;

/** An explanation made in this session, kept so that a finding can record it. */
interface MadeExplanation {
  explanation: Explanation;
  summary: ScanSummary;
  /** The audit entry of its first finding: a second one needs the request's `again`. */
  recordedSeq?: number;
}

export function createServices(config: ServiceConfig): ServiceTable & { dispose(): Promise<void> } {
  const scans = new ScanRegistry();
  const jobs = new JobRunner((r: { explanation: Explanation; sentences?: SentenceExplanation[] }) => ({ state: 'done' as const, ...r }));
  const paths = installationPaths(config.configDir ?? defaultConfigDir());
  const model = new ModelHost(config.modelDir, graphCacheIn(config.cacheFolder ?? paths.configDir));
  const made = new LruMap<string, MadeExplanation>(MAX_KEPT_EXPLANATIONS);
  const samples = readSampleStudies(config.samplesIndex);
  let store: AuditStore | null = null;
  const anchorsDir = resolve(config.anchorsDir ?? paths.anchorsDir);
  const guard = protectedPaths({ databases: config.dbPath ? [config.dbPath] : [], installation: { ...paths, anchorsDir } });
  const log = config.log ?? (() => undefined);

  /** Why findings cannot be signed (the key cannot be read, unlocked or made): recording waits, the log stays readable. */
  let keyError: Error | null = null;
  const audit = (): AuditStore => {
    if (!config.dbPath) throw new UnavailableError('no audit database is configured');
    if (!store) {
      let signingKey;
      try {
        const protection = config.safeStorage ? keyProtectionFor(config.safeStorage, paths.keysDir) : (config.keyProtection ?? PLAIN_FILE);
        signingKey = installationKey(paths, protection).key;
      } catch (err) {
        if (!(err instanceof KeyError)) throw err;
        keyError = err;
      }
      store = AuditStore.open(config.dbPath, { signingKey });
    }
    return store;
  };

  /** An anchor must not fail the finding that was recorded: a failure is logged and retried with the next one. */
  const anchor = (write: (s: AuditStore) => string | null): void => {
    if (!store) return;
    try {
      write(store);
    } catch (err) {
      log(`audit anchor not written to ${anchorsDir}: ${errorMessage(err)}`);
    }
  };

  /** The scan a replay runs on: the open one named, a file, or an open scan with the recorded SHA-256. */
  const replayScan = async (req: { scanId?: string; scanPath?: string }, sha256: string, seq: number): Promise<ReplayScan> => {
    if (req.scanId && req.scanPath) throw new UserInputError('give the scan by scanId or by scanPath, not both');
    if (req.scanPath) return loadScan(req.scanPath);
    const open = req.scanId ? scans.get(req.scanId) : scans.findBySha256(sha256) ? scans.get(scans.findBySha256(sha256)!.id) : null;
    if (!open) throw new NotFoundError(`the scan of audit entry #${seq} (SHA-256 ${sha256.slice(0, 12)}…) is not open in this session: open it, or give its file`);
    return { summary: open.summary, frame: async (n) => (await frameOf(open, n)).pixels };
  };

  // The scan is not kept in the log; a report draws it when it is open in this session.
  const openScanImage: ScanImageLoader = async ({ sha256, frame, findingId }) => {
    const open = scans.findBySha256(sha256);
    if (!open) return null;
    const params = audit().getFinding(findingId).explanation.params;
    const window = typeof params.windowCenter === 'number' && typeof params.windowWidth === 'number' ? { center: params.windowCenter, width: params.windowWidth } : null;
    const { pixels } = await scans.frame(open.id, frame);
    return windowedGray(open, pixels, window);
  };
  const pacsCache = defaultPacsCache(config);
  const pacs = pacsServices({
    cacheDir: pacsCache,
    timeouts: config.pacsTimeouts,
    appVersion: config.appVersion,
    record: config.dbPath ? (actor, r) => void audit().recordEvent({ actor, ...r }) : null,
    async resultFiles(findingId) {
      const context = audit().getFindingContext(findingId);
      const open = scans.findBySha256(context.scan.sha256);
      if (!open || open.format !== 'dicom') {
        throw new NotFoundError(`the DICOM scan of finding ${findingId} is not open in this session; open it (a pulled study is in ${pacsCache}) and send again`);
      }
      return findingResultFiles({ store: audit(), findingId, scanFile: open.path, outDir: join(pacsCache, 'outbox', findingId), loadScanImage: openScanImage, guard });
    },
  });

  return {
    'app:info': async () => {
      const { bundle, error } = await model.status();
      return {
        version: config.appVersion,
        model: bundle ? { name: bundle.name, sha256: bundle.sha256, dir: bundle.dir } : null,
        modelError: error,
        provider: bundle ? bundle.provider : 'none',
        dbPath: config.dbPath,
        sampleStudies: samples,
      };
    },
    'scan:open': (req) => scans.open(req.path),
    'scan:frame': (req) => scans.frame(req.scanId, req.frame),
    'scan:close': async (req) => ({ closed: scans.close(req.scanId) }),
    'scan:choose': async () => ({ path: config.chooseFile ? await config.chooseFile() : null }),
    'explain:start': async (req) => {
      const scan = scans.get(req.scanId);
      const { summary } = scan;
      const bundle = await model.get();
      const jobId = jobs.start(async (signal, progress) => {
        const { pixels } = await frameOf(scan, req.frame);
        const image = scanImageFor(summary, pixels, req.window);
        const opts: ExplainOptions = { method: req.method, layer: req.layer, steps: req.steps, target: req.target, precision: req.precision, sanity: req.sanity, signal, onProgress: progress };
        const keep = (core: Awaited<ReturnType<typeof explain>>, text: string): Explanation => {
          if (!Number.isFinite(core.similarity)) {
            throw new ModelOutputError(`${bundle.name}: the model returned a non-finite similarity (NaN or ∞) for this scan and text; its weights or this input are broken, so nothing is drawn`);
          }
          const explanation = completeExplanation(core, summary, req.frame, text, image.window);
          made.set(explanation.id, { explanation, summary });
          return explanation;
        };
        if (!req.allSentences) return { explanation: keep(await explain(bundle, image, req.text, opts), req.text) };
        const sentences = (await explainSentences(bundle, image, req.text, opts)).map((r) => ({ sentence: r.sentence, explanation: keep(r.explanation, r.sentence.text) }));
        return { explanation: sentences[0].explanation, sentences };
      });
      return { jobId };
    },
    'explain:prepare': async (req) => ({ prepared: await model.prepare({ layer: req.layer, precision: req.precision }) }),
    'explain:poll': async (req) => jobs.poll(req.jobId),
    'explain:cancel': async (req) => ({ cancelled: jobs.cancel(req.jobId) }),
    'explain:localise': async (req) => ({
      results: req.explanationIds.map((id) => {
        const entry = made.get(id);
        if (!entry) throw new NotFoundError(`explanation ${id} is not held in this session (only the ${MAX_KEPT_EXPLANATIONS} most recent are kept); explain again`);
        return localise(entry.explanation, entry.summary, req.region);
      }),
    }),
    'finding:record': async (req) => {
      const entry = made.get(req.explanationId);
      if (!entry) {
        throw new NotFoundError(`explanation ${req.explanationId} is not held in this session (only the ${MAX_KEPT_EXPLANATIONS} most recent are kept); explain again before recording`);
      }
      if (entry.recordedSeq !== undefined && !req.again) {
        throw new UserInputError(`explanation ${req.explanationId} is already recorded as audit entry #${entry.recordedSeq}; to record another finding for it, send again: true ("Record again")`);
      }
      // The figures recorded are computed here, from the region, never taken from the caller.
      const located = req.region ? localise(entry.explanation, entry.summary, req.region) : null;
      if (located && !located.metrics) throw new UserInputError(`the region cannot be recorded with this explanation: ${located.problem}`);
      const auditLog = audit();
      // An unsigned finding would be covered by nothing: refuse it, saying why.
      if (keyError) throw new UnavailableError(`findings cannot be recorded: ${keyError.message}`);
      const recorded = auditLog.recordFinding(
        findingInput({
          explanation: entry.explanation,
          summary: entry.summary,
          reviewer: req.reviewer,
          decision: req.decision,
          note: req.note,
          studyLabel: req.studyLabel ?? null,
          appVersion: config.appVersion,
          storeIdentifying: config.storeIdentifying ?? false,
          region: req.region && located?.metrics ? { region: req.region, scan: { width: entry.summary.width, height: entry.summary.height }, metrics: located.metrics } : null,
        }),
      );
      entry.recordedSeq ??= recorded.seq;
      anchor((s) => s.anchorIfDue(anchorsDir, config.anchorEvery ?? DEFAULT_ANCHOR_EVERY));
      return recorded;
    },
    'audit:list': async (req) => {
      const s = audit();
      return { rows: s.list(req), chain: s.verify(), dbPath: s.path };
    },
    'audit:get': async (req) => audit().getFinding(req.findingId),
    'audit:verify': async (req) => {
      const claims = anchorClaims(req.anchors);
      return audit().verifyEvidence({ trust: TrustStore.load(paths.trustFile), anchors: claims, anchorsDir });
    },
    'audit:replay': async (req) => {
      const finding = audit().getFinding(req.findingId);
      const scan = await replayScan(req, finding.explanation.input.scanSha256, finding.seq);
      return replayFinding(finding, { bundle: await model.get(), scan });
    },
    'report:pdf': async (req) => {
      const s = audit();
      const name = reportFileName(req.findingIds.map((id) => s.getFinding(id).seq));
      // The caller names no path: the user chooses one in a save dialog, or the reports folder gets a new file.
      const chosen = config.chooseSavePath ? await config.chooseSavePath(name) : freshReportPath(config.reportsDir ?? paths.reportsDir, name);
      if (chosen === null) return { path: null, bytes: 0, cancelled: true };
      const written = await writeFindingsPdf(s, req.findingIds, {
        outPath: chosen,
        guard,
        exclusive: !config.chooseSavePath,
        loadScanImage: openScanImage,
      });
      return { ...written, cancelled: false };
    },
    'finding:dicom': async (req) => {
      const store = audit();
      return saveFindingDicom(store, scans, req.findingId, config.exportsDir ?? join(dirname(store.path), 'exports'));
    },
    'pacs:search': pacs['pacs:search'],
    'pacs:pull': pacs['pacs:pull'],
    'pacs:push': pacs['pacs:push'],
    'pacs:poll': pacs['pacs:poll'],
    'pacs:cancel': pacs['pacs:cancel'],
    /** Writes the exit anchor (when the head moved since the last one) and releases everything. */
    async dispose() {
      anchor((s) => s.anchorIfMoved(anchorsDir));
      // Every job's work has stopped before its model's sessions are released under it.
      await Promise.all([jobs.dispose(), pacs.dispose()]);
      store?.close();
      await model.dispose();
    },
  };
}
