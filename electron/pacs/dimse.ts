/**
 * Classic DICOM networking with dcmjs-dimse: C-ECHO, C-FIND (study level), C-GET or C-MOVE
 * (into a storage SCP we open for the transfer), C-STORE. One association per operation; every
 * wait is bounded (socket idle time and PDU silence), and cancel sends C-CANCEL, aborts the
 * association and closes the socket, so the transfer really stops.
 */
import dcmjsDimse from 'dcmjs-dimse';
import { CancelledError, errorMessage } from '../../native-models/errors';
import { uploadAllowanceMs, type PacsClient, type StoreOutcome, type Timeouts, type TransferOptions } from './client';
import { matchFromNaturalized } from './dicom-json';
import { describeNetworkError, PacsNotFoundError, PacsUnavailableError } from './errors';
import type { InstanceFile } from './instance';
import { cfindKeys, type CheckedQuery } from './query';
import { RawReceiver, type AcceptedContext, type StoreCommand } from './receiver';
import { openStoreScp } from './store-scp';
import { storageContexts } from './syntaxes';
import type { PacsNode, StudyMatch } from './types';

const { Client, log } = dcmjsDimse;
const { CEchoRequest, CFindRequest, CGetRequest, CMoveRequest, CStoreRequest } = dcmjsDimse.requests;
const { CStoreResponse } = dcmjsDimse.responses;
const { Status, TransferSyntax } = dcmjsDimse.constants;

// Failures reach the caller as errors with the node's name; the library's own console lines would only repeat them.
log.setLevel('silent');

type DimseNode = Extract<PacsNode, { kind: 'dimse' }>;
type ClientInstance = InstanceType<typeof Client>;
type AnyRequest = InstanceType<typeof dcmjsDimse.requests.Request>;
type Cancellable = InstanceType<typeof CFindRequest> | InstanceType<typeof CGetRequest> | InstanceType<typeof CMoveRequest>;

/** What dcmjs-dimse keeps private but a raw receiver and a hard stop need: the association's network. */
interface NetworkInternals {
  createStoreWritableStream(context: AcceptedContext, request: StoreCommand): NodeJS.WritableStream;
  createDatasetFromStoreWritableStream(writable: unknown, context: AcceptedContext, callback: (dataset: unknown) => void): void;
  socket?: { destroy(): void; setTimeout(ms: number): void };
  lastPduTime?: number;
}
function networkOf(client: ClientInstance): NetworkInternals | undefined {
  return (client as unknown as { network?: NetworkInternals }).network;
}

const REJECT_REASONS: Record<string, string> = {
  '1:1': 'no reason given',
  '1:2': 'application context not supported',
  '1:3': 'it does not know our calling AE title',
  '1:7': 'it does not answer to that called AE title',
  '2:1': 'no reason given (ACSE)',
  '2:2': 'protocol version not supported',
  '3:1': 'temporary congestion',
  '3:2': 'local limit exceeded',
};

export function rejectText(node: DimseNode, r: { result: number; source: number; reason: number }): string {
  const why = REJECT_REASONS[`${r.source}:${r.reason}`] ?? `source ${r.source}, reason ${r.reason}`;
  const hint = r.source === 1 && r.reason === 7 ? ` (check the AE title "${node.calledAet}")` : r.source === 1 && r.reason === 3 ? ` (the node must list "${node.callingAet}" as a known modality)` : '';
  return `refused the association (${r.result === 2 ? 'transient' : 'permanent'}): ${why}${hint}`;
}

function hex(status: number): string {
  return `0x${status.toString(16).padStart(4, '0').toUpperCase()}`;
}

const isPending = (s: number) => s === Status.Pending || s === 0xff01;
const isWarning = (s: number) => s === 0x0001 || (s & 0xf000) === 0xb000;

interface Association {
  node: DimseNode;
  requests: AnyRequest[];
  timeouts: Timeouts;
  signal?: AbortSignal;
  /** Called with the client before send(): extra presentation contexts, handlers. */
  setup?: (client: ClientInstance) => void;
  /** Called with the client after send(): its network exists by then and no PDU has arrived yet. */
  prepare?: (client: ClientInstance) => void;
  /** Called before the association is aborted on cancel (a C-MOVE's storage SCP is closed too). */
  onCancel?: () => void;
  /** Longest silence from the node once associated (default idleMs): longer while we upload a large instance. */
  pduTimeoutMs?: number;
}

/** Runs the requests on one association; resolves when every request was answered and the association released. */
function runAssociation(a: Association): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { node } = a;
    if (a.signal?.aborted) return reject(new CancelledError(`cancelled before contacting ${node.label}`));
    const client = new Client();
    const answered = new Set<AnyRequest>();
    let accepted = false;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      a.signal?.removeEventListener('abort', onAbort);
      if (err) {
        // Whatever state the association is in, nothing more may arrive.
        setTimeout(() => networkOf(client)?.socket?.destroy(), 50);
        reject(err);
      } else resolve();
    };
    const onAbort = () => {
      a.onCancel?.();
      for (const r of a.requests) {
        if (!answered.has(r) && (r instanceof CFindRequest || r instanceof CGetRequest || r instanceof CMoveRequest)) {
          try {
            client.cancel(r as Cancellable);
          } catch {
            // Not associated yet: the abort below ends it.
          }
        }
      }
      try {
        client.abort();
      } catch {
        // No network yet.
      }
      finish(new CancelledError(`cancelled; the association with ${node.label} was aborted`));
    };
    for (const r of a.requests) {
      r.on('done', () => answered.add(r));
      client.addRequest(r);
    }
    client.on('associationAccepted', () => {
      accepted = true;
    });
    client.on('associationRejected', (r: { result: number; source: number; reason: number }) => finish(new PacsUnavailableError(node.label, rejectText(node, r))));
    client.on('networkError', (err: unknown) => {
      const msg = errorMessage(err);
      const silent = /timeout/i.test(msg);
      finish(new PacsUnavailableError(node.label, silent ? `did not answer within ${Math.round(a.timeouts.idleMs / 1000)} s${accepted ? ' (the association went silent)' : ''}` : describeNetworkError(err, `${node.host}:${node.port}`)));
    });
    client.on('closed', () => {
      const missing = a.requests.filter((r) => !answered.has(r));
      if (missing.length === 0) return finish();
      if (!accepted) return finish(new PacsUnavailableError(node.label, 'closed the connection without answering the association request'));
      finish(new PacsUnavailableError(node.label, `ended the association before answering ${missing.length} of ${a.requests.length} request(s) (it may not support the operation or the data's SOP class / transfer syntax)`));
    });
    a.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      a.setup?.(client);
      client.send(node.host, node.port, node.callingAet, node.calledAet, {
        connectTimeout: a.timeouts.idleMs,
        associationTimeout: a.timeouts.idleMs,
        pduTimeout: a.pduTimeoutMs ?? a.timeouts.idleMs,
      });
      a.prepare?.(client);
    } catch (err) {
      finish(new PacsUnavailableError(node.label, errorMessage(err)));
    }
  });
}

/** Sub-operation counts of a C-GET/C-MOVE response. */
interface SubOps {
  remaining: number;
  completed: number;
  failed: number;
  warnings: number;
}
type RetrieveResponse = { getStatus(): number; getErrorComment(): string; getRemaining(): number; getCompleted(): number; getFailures(): number; getWarnings(): number };

function retrieveOutcome(node: DimseNode, studyUid: string, final: { status: number; comment: string; ops: SubOps } | null, received: number): void {
  if (!final) throw new PacsUnavailableError(node.label, 'gave no final answer to the retrieve request');
  const { status, comment, ops } = final;
  const why = comment ? `: ${comment}` : '';
  if (status === 0xa801) throw new PacsUnavailableError(node.label, `does not know our AE title as a C-MOVE destination (status ${hex(status)}${why}); add it to the node's modalities with this machine's address and the storage port`);
  if (status === Status.Cancel) throw new CancelledError(`the retrieve from ${node.label} was cancelled`);
  const lost = ops.failed > 0 || (status !== Status.Success && !isWarning(status));
  if (lost && received > 0) {
    throw new PacsNotFoundError(node.label, `study ${studyUid}: ${ops.failed || 'some'} instance(s) could not be retrieved after ${received} arrived (status ${hex(status)}${why}); the study may have changed or disappeared during the transfer, so nothing was kept`);
  }
  if (lost) throw new PacsUnavailableError(node.label, `refused to send study ${studyUid} (status ${hex(status)}${why})`);
  if (received === 0) throw new PacsNotFoundError(node.label, `has no study ${studyUid}`);
}

export class DimseClient implements PacsClient {
  constructor(
    readonly node: DimseNode,
    private readonly timeouts: Timeouts,
  ) {}

  async echo(signal?: AbortSignal): Promise<void> {
    const request = new CEchoRequest();
    let status: number | null = null;
    request.on('response', (r: { getStatus(): number }) => {
      status = r.getStatus();
    });
    await runAssociation({ node: this.node, requests: [request], timeouts: this.timeouts, signal });
    if (status !== Status.Success) throw new PacsUnavailableError(this.node.label, `answered C-ECHO with status ${status === null ? 'none' : hex(status)}`);
  }

  async search(query: CheckedQuery, signal?: AbortSignal): Promise<StudyMatch[]> {
    const matches: StudyMatch[] = [];
    let failure: string | null = null;
    let client: ClientInstance | null = null;
    let stopped = false;
    const request = CFindRequest.createStudyFindRequest(cfindKeys(query));
    request.on('response', (r: { getStatus(): number; getErrorComment(): string; hasDataset(): boolean; getDataset(): { getElements(): Record<string, unknown> } }) => {
      const status = r.getStatus();
      if (isPending(status)) {
        const m = r.hasDataset() ? matchFromNaturalized(r.getDataset().getElements()) : null;
        if (m && matches.length < query.limit) matches.push(m);
        // Enough matches: ask the node to stop instead of reading the rest.
        if (matches.length >= query.limit && !stopped && client) {
          stopped = true;
          client.cancel(request);
        }
      } else if (status !== Status.Success && status !== Status.Cancel) {
        failure = `status ${hex(status)}${r.getErrorComment() ? `: ${r.getErrorComment()}` : ''}`;
      }
    });
    await runAssociation({ node: this.node, requests: [request], timeouts: this.timeouts, signal, prepare: (c) => (client = c) });
    if (failure) throw new PacsUnavailableError(this.node.label, `refused the study search (${failure})`);
    return matches;
  }

  async retrieve(studyUid: string, dir: string, opts: TransferOptions): Promise<{ files: string[]; bytes: number }> {
    // A C-FIND first: a node answers a retrieve of an unknown study with a bare failure status, and the count gives progress a total.
    const [known] = await this.search({ StudyInstanceUID: studyUid, limit: 1 }, opts.signal);
    if (!known) throw new PacsNotFoundError(this.node.label, `has no study ${studyUid}`);
    let total: number | null = known.instances;
    const report = (): void | Promise<void> => opts.onProgress?.({ done: receiver.files.length, total, bytes: receiver.bytes });
    const receiver: RawReceiver = new RawReceiver(dir, studyUid, report);
    let final: { status: number; comment: string; ops: SubOps } | null = null;
    const onResponse = (r: RetrieveResponse) => {
      const ops = { remaining: r.getRemaining() ?? 0, completed: r.getCompleted() ?? 0, failed: r.getFailures() ?? 0, warnings: r.getWarnings() ?? 0 };
      const sum = ops.remaining + ops.completed + ops.failed + ops.warnings;
      if (sum > 0) total = sum;
      if (isPending(r.getStatus())) void report();
      else final = { status: r.getStatus(), comment: r.getErrorComment() ?? '', ops };
    };
    try {
      if (this.node.retrieve === 'move') {
        // The C-MOVE association stays quiet while the study flows into our SCP: that flow keeps it alive.
        let moving: NetworkInternals | undefined;
        const alive = () => {
          if (!moving) return;
          if (moving.lastPduTime) moving.lastPduTime = Date.now();
          moving.socket?.setTimeout(this.timeouts.idleMs);
        };
        const scp = await openStoreScp({ node: this.node, receiver, idleMs: this.timeouts.idleMs, onData: alive });
        try {
          const request = CMoveRequest.createStudyMoveRequest(this.node.callingAet, studyUid);
          request.on('response', onResponse);
          await runAssociation({ node: this.node, requests: [request], timeouts: this.timeouts, signal: opts.signal, onCancel: () => void scp.close(), prepare: (client) => (moving = networkOf(client)) });
          // The final C-MOVE response follows the last sub-operation, whose file is complete (we answer each C-STORE after writing it).
        } finally {
          await scp.close();
        }
      } else {
        const request = CGetRequest.createStudyGetRequest(studyUid);
        request.on('response', onResponse);
        await runAssociation({
          node: this.node,
          requests: [request],
          timeouts: this.timeouts,
          signal: opts.signal,
          setup: (client) => {
            // Each storage class with the compressed syntaxes too, so the node can send the study as stored.
            for (const pc of storageContexts()) client.addAdditionalPresentationContext(pc);
            client.on('cStoreRequest', (req: StoreCommand, callback: (response: unknown) => void) => {
              void receiver.stored(req).then((status) => {
                const response = CStoreResponse.fromRequest(req as never);
                response.setStatus(status);
                callback(response);
              });
            });
          },
          prepare: (client) => {
            const network = networkOf(client);
            if (!network) throw new Error('dcmjs-dimse created no network for the association');
            network.createStoreWritableStream = (context, req) => receiver.createStream(context, req);
            network.createDatasetFromStoreWritableStream = (w, context, cb) => receiver.finishStream(w as never, context, cb as never);
          },
        });
      }
      retrieveOutcome(this.node, studyUid, final, receiver.files.length);
      return { files: [...receiver.files], bytes: receiver.bytes };
    } catch (err) {
      receiver.abandon();
      throw err;
    }
  }

  async store(instances: InstanceFile[], opts: TransferOptions): Promise<StoreOutcome> {
    const outcome: StoreOutcome = { sent: [], failed: [] };
    let bytes = 0;
    // A batch per association keeps the presentation contexts (one per SOP class and syntax) well under 128.
    for (let start = 0; start < instances.length; start += STORE_BATCH) {
      const batch = instances.slice(start, start + STORE_BATCH);
      const answered = new Map<InstanceFile, { status: number; comment: string }>();
      const requests = batch.map((inst) => {
        const r = new CStoreRequest(inst.file);
        if (inst.transferSyntax !== TransferSyntax.ImplicitVRLittleEndian && inst.transferSyntax !== TransferSyntax.ExplicitVRLittleEndian) {
          r.setAdditionalTransferSyntaxes([inst.transferSyntax]);
        }
        r.on('response', (res: { getStatus(): number; getErrorComment(): string }) => {
          answered.set(inst, { status: res.getStatus(), comment: res.getErrorComment() ?? '' });
          const ok = res.getStatus() === Status.Success || isWarning(res.getStatus());
          if (ok) {
            bytes += inst.bytes.length;
            opts.onStored?.({ file: inst.file, sopInstanceUid: inst.sopInstanceUid, studyUid: inst.studyUid });
          }
          void opts.onProgress?.({ done: outcome.sent.length + answered.size, total: instances.length, bytes });
        });
        return r;
      });
      try {
        const largest = Math.max(...batch.map((i) => i.bytes.length));
        await runAssociation({ node: this.node, requests, timeouts: this.timeouts, signal: opts.signal, pduTimeoutMs: uploadAllowanceMs(this.timeouts, largest) });
      } catch (err) {
        // A node that ends the association early still answered some; the rest are reported as not sent.
        if (!(err instanceof PacsUnavailableError) || answered.size === 0) throw err;
      }
      for (const inst of batch) {
        const a = answered.get(inst);
        const base = { file: inst.file, sopInstanceUid: inst.sopInstanceUid };
        if (!a) outcome.failed.push({ ...base, reason: `no answer (the node accepted no presentation context for SOP class ${inst.sopClassUid} in ${inst.transferSyntax})` });
        else if (a.status === Status.Success || isWarning(a.status)) outcome.sent.push({ file: inst.file, sopInstanceUid: inst.sopInstanceUid, studyUid: inst.studyUid });
        else outcome.failed.push({ ...base, reason: `refused with status ${hex(a.status)}${a.comment ? `: ${a.comment}` : ''}` });
      }
    }
    return outcome;
  }
}

const STORE_BATCH = 32;
