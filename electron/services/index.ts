/** The main-process services behind every contract channel, shared by Electron, the test host and tests. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Explanation, SampleStudy, ScanSummary } from '../api/contract';
import type { ServiceTable } from '../ipc/handlers';
import { ModelOutputError, NotFoundError, UnavailableError, UserInputError } from '../../native-models/errors';
import { explain } from '../../native-models/explain/index';
import { AuditStore } from '../../db/audit-store';
import { ScanRegistry, frameOf } from './scans';
import { LruMap } from './lru';
import { JobRunner } from './explain-jobs';
import { ModelHost } from './model-host';
import { completeExplanation, findingInput, scanImageFor } from './explanations';
import { reportFileName, windowedGray, writeFindingsPdf } from './report';
import { saveFindingDicom } from './dicom';

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
  const jobs = new JobRunner();
  const model = new ModelHost(config.modelDir);
  const made = new LruMap<string, MadeExplanation>(MAX_KEPT_EXPLANATIONS);
  const samples = readSampleStudies(config.samplesIndex);
  let store: AuditStore | null = null;

  const audit = (): AuditStore => {
    if (!config.dbPath) throw new UnavailableError('no audit database is configured');
    store ??= AuditStore.open(config.dbPath);
    return store;
  };

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
        const core = await explain(bundle, image, req.text, {
          method: req.method,
          layer: req.layer,
          steps: req.steps,
          target: req.target,
          signal,
          onProgress: progress,
        });
        if (!Number.isFinite(core.similarity)) {
          throw new ModelOutputError(`${bundle.name}: the model returned a non-finite similarity (NaN or ∞) for this scan and text; its weights or this input are broken, so nothing is drawn`);
        }
        const explanation = completeExplanation(core, summary, req.frame, req.text, image.window);
        made.set(explanation.id, { explanation, summary });
        return explanation;
      });
      return { jobId };
    },
    'explain:poll': async (req) => jobs.poll(req.jobId),
    'explain:cancel': async (req) => ({ cancelled: jobs.cancel(req.jobId) }),
    'finding:record': async (req) => {
      const entry = made.get(req.explanationId);
      if (!entry) {
        throw new NotFoundError(`explanation ${req.explanationId} is not held in this session (only the ${MAX_KEPT_EXPLANATIONS} most recent are kept); explain again before recording`);
      }
      if (entry.recordedSeq !== undefined && !req.again) {
        throw new UserInputError(`explanation ${req.explanationId} is already recorded as audit entry #${entry.recordedSeq}; to record another finding for it, send again: true ("Record again")`);
      }
      const recorded = audit().recordFinding(
        findingInput({
          explanation: entry.explanation,
          summary: entry.summary,
          reviewer: req.reviewer,
          decision: req.decision,
          note: req.note,
          studyLabel: req.studyLabel ?? null,
          appVersion: config.appVersion,
          storeIdentifying: config.storeIdentifying ?? false,
        }),
      );
      entry.recordedSeq ??= recorded.seq;
      return recorded;
    },
    'audit:list': async (req) => {
      const s = audit();
      return { rows: s.list(req), chain: s.verify(), dbPath: s.path };
    },
    'audit:get': async (req) => audit().getFinding(req.findingId),
    'audit:verify': async () => audit().verify(),
    'report:pdf': async (req) => {
      const store = audit();
      const outPath = req.outPath ?? join(dirname(store.path), 'reports', reportFileName(req.findingIds.map((id) => store.getFinding(id).seq)));
      return writeFindingsPdf(store, req.findingIds, {
        outPath,
        // The scan itself is not kept in the log; it is drawn when it is open in this session.
        loadScanImage: async ({ sha256, frame, findingId }) => {
          const open = scans.findBySha256(sha256);
          if (!open) return null;
          const params = store.getFinding(findingId).explanation.params;
          const window = typeof params.windowCenter === 'number' && typeof params.windowWidth === 'number' ? { center: params.windowCenter, width: params.windowWidth } : null;
          const { pixels } = await scans.frame(open.id, frame);
          return windowedGray(open, pixels, window);
        },
      });
    },
    'finding:dicom': async (req) => {
      const store = audit();
      return saveFindingDicom(store, scans, req.findingId, config.exportsDir ?? join(dirname(store.path), 'exports'));
    },
    async dispose() {
      // Every job's work has stopped before its model's sessions are released under it.
      await jobs.dispose();
      store?.close();
      await model.dispose();
    },
  };
}
