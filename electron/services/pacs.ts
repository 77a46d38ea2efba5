/**
 * The PACS channels: search answers at once; pull and push run as jobs the panel polls (progress
 * as "n of N instances"), and cancel aborts the transfer itself (electron/pacs stops the request
 * or the association and removes a partial pull).
 */
import { userInfo } from 'node:os';
import type { ParsedRequest, TransferJobState, TransferResult } from '../api/contract';
import type { ServiceTable } from '../ipc/handlers';
import { connect, pullStudy, pushFiles, searchStudies, type SentInstance, type Timeouts, type TransferProgress } from '../pacs/index';
import { pullRecord, pushRecord, type TransferRecord } from '../pacs/audit-record';
import { JobRunner } from './explain-jobs';

type PacsChannels = 'pacs:search' | 'pacs:pull' | 'pacs:push' | 'pacs:poll' | 'pacs:cancel';

export interface PacsDeps {
  /** Where pulled studies are kept (each in <cache>/<Study Instance UID>/). */
  cacheDir: string;
  timeouts?: Timeouts;
  /** The files to send for a recorded finding (services/pacs-results.ts). */
  resultFiles(findingId: string): Promise<string[]>;
  appVersion: string;
  /** Appends a transfer to the audit log; null when the session has no audit database. */
  record: ((actor: string, r: TransferRecord) => void) | null;
}

/** Who a transfer is recorded for when the panel names nobody: this computer's user account. */
export function defaultActor(): string {
  try {
    return `${userInfo().username} (computer account)`;
  } catch {
    return 'unknown (computer account)';
  }
}

/** A job's progress from the transfer's: the fraction of instances, and "received 3 of 8 instance(s), 2.1 MiB". */
function reporter(verb: string, progress: (fraction: number, stage: string) => void): (p: TransferProgress) => void {
  return (p) => progress(p.total ? p.done / p.total : 0, `${verb} ${p.done}${p.total !== null ? ` of ${p.total}` : ''} instance(s), ${(p.bytes / 2 ** 20).toFixed(1)} MiB`);
}

export function pacsServices(deps: PacsDeps): Pick<ServiceTable, PacsChannels> & { dispose(): Promise<void> } {
  const jobs = new JobRunner((result: TransferResult) => ({ state: 'done' as const, result }), 'PACS transfer');
  const client = (node: ParsedRequest<'pacs:search'>['node']) => connect(node, deps.timeouts);

  return {
    'pacs:search': async (req) => {
      const c = client(req.node);
      return { node: c.node.label, studies: await searchStudies(c, req.query) };
    },
    'pacs:pull': async (req) => {
      // Parsed now, so a bad address is refused at once rather than as a failed job.
      const c = client(req.node);
      const jobId = jobs.start(async (signal, progress) => {
        progress(0, `asking ${c.node.label} for the study`);
        const record = (o: Parameters<typeof pullRecord>[3]) => deps.record?.(req.user || defaultActor(), pullRecord(c.node, req.studyUid, deps.appVersion, o));
        try {
          const pull = await pullStudy(c, req.studyUid, deps.cacheDir, { signal, onProgress: reporter('received', progress) });
          record({ result: pull });
          return { kind: 'pull', pull };
        } catch (error) {
          record({ error });
          throw error;
        }
      });
      return { jobId };
    },
    'pacs:push': async (req) => {
      const c = client(req.node);
      const jobId = jobs.start(async (signal, progress) => {
        progress(0, 'making the result objects');
        const files = await deps.resultFiles(req.findingId);
        const record = (o: Parameters<typeof pushRecord>[2]) => deps.record?.(req.user || defaultActor(), pushRecord(c.node, deps.appVersion, o));
        const stored: SentInstance[] = [];
        try {
          const push = await pushFiles(c, files, { signal, onStored: (s) => void stored.push(s), onProgress: reporter('sent', progress) });
          record({ result: push });
          return { kind: 'push', push };
        } catch (error) {
          record({ error, sent: stored });
          throw error;
        }
      });
      return { jobId };
    },
    'pacs:poll': async (req): Promise<TransferJobState> => jobs.poll(req.jobId),
    'pacs:cancel': async (req) => ({ cancelled: jobs.cancel(req.jobId) }),
    dispose: () => jobs.dispose(),
  };
}
