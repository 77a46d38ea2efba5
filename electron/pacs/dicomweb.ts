/**
 * DICOMweb with Node's own fetch: QIDO-RS search, WADO-RS retrieve (instance by instance, so
 * progress is exact and a study that changes mid-transfer is noticed), STOW-RS store. Not
 * dicomweb-client: it is built on XMLHttpRequest, which Node does not have, and fetch gives
 * AbortSignal cancellation and streamed bodies for the idle timeout without a polyfill.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, CandorError } from '../../native-models/errors';
import { uploadAllowanceMs, type PacsClient, type StoreOutcome, type Timeouts, type TransferOptions } from './client';
import { jsonValue, jsonValues, matchFromJson, TAG, type DicomJson } from './dicom-json';
import { describeNetworkError, PacsNotFoundError, PacsUnavailableError } from './errors';
import { instanceFileName, type InstanceFile } from './instance';
import { boundaryOf, buildMultipart, parseMultipart } from './multipart';
import { eachLimited } from './pool';
import { qidoParams, type CheckedQuery } from './query';
import type { PacsNode, StudyMatch } from './types';

type WebNode = Extract<PacsNode, { kind: 'dicomweb' }>;

/** Largest answer read into memory: one instance (as the imaging room's file limit), or a search's JSON. */
const MAX_INSTANCE_BYTES = 2 ** 31 - 1;
const MAX_JSON_BYTES = 64 * 2 ** 20;
/** Instances fetched at once, and the most a study may list (a guard against a runaway listing). */
export const RETRIEVE_PARALLEL = 3;
const PAGE = 1000;
const MAX_INSTANCES = 100_000;

interface HttpAnswer {
  status: number;
  contentType: string | null;
  body: Buffer;
}

export class DicomWebClient implements PacsClient {
  constructor(
    readonly node: WebNode,
    private readonly timeouts: Timeouts,
  ) {}

  /** One request; the idle timer runs from the request until the last byte, restarted by every chunk. */
  private async http(path: string, init: { method?: string; headers: Record<string, string>; body?: Uint8Array<ArrayBuffer> }, what: string, signal: AbortSignal | undefined, maxBytes: number): Promise<HttpAnswer> {
    const url = `${this.node.url}${path}`;
    const ctrl = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms = this.timeouts.idleMs) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        ctrl.abort();
      }, ms);
    };
    const onAbort = () => ctrl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) ctrl.abort();
    arm(uploadAllowanceMs(this.timeouts, init.body?.length ?? 0));
    try {
      const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers, body: init.body, signal: ctrl.signal });
      arm();
      const chunks: Buffer[] = [];
      let size = 0;
      if (res.body) {
        const reader = res.body.getReader();
        // Node 20's fetch can leave a pending read() unsettled when the request is aborted mid-body; the race ends it.
        const stopped = new Promise<never>((_, fail) => {
          const onStop = () => {
            void reader.cancel().catch(() => undefined);
            fail(new DOMException('the request was aborted', 'AbortError'));
          };
          if (ctrl.signal.aborted) onStop();
          else ctrl.signal.addEventListener('abort', onStop, { once: true });
        });
        stopped.catch(() => undefined);
        for (;;) {
          const { done, value } = await Promise.race([reader.read(), stopped]);
          if (done) break;
          arm();
          size += value.byteLength;
          if (size > maxBytes) {
            await reader.cancel();
            throw new PacsUnavailableError(this.node.label, `${what}: the answer is larger than ${Math.round(maxBytes / 2 ** 20)} MiB`);
          }
          chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        }
      }
      return { status: res.status, contentType: res.headers.get('content-type'), body: Buffer.concat(chunks) };
    } catch (err) {
      if (signal?.aborted) throw new CancelledError(`cancelled: ${what} on ${this.node.label}`);
      if (timedOut) throw new PacsUnavailableError(this.node.label, `did not answer within ${Math.round(this.timeouts.idleMs / 1000)} s (${what})`);
      if (err instanceof CandorError) throw err;
      throw new PacsUnavailableError(this.node.label, describeNetworkError(err, new URL(url).host));
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private refused(a: HttpAnswer, what: string): PacsUnavailableError {
    const detail = a.body.toString('utf8', 0, Math.min(a.body.length, 300)).replace(/\s+/g, ' ').trim();
    const why = a.status === 401 || a.status === 403 ? 'authentication or permission refused' : a.status === 404 ? 'no such DICOMweb resource (check the root URL)' : 'the request failed';
    return new PacsUnavailableError(this.node.label, `${what}: HTTP ${a.status}, ${why}${detail ? ` (${detail})` : ''}`);
  }

  private json(a: HttpAnswer, what: string): DicomJson[] {
    if (a.status === 204 || a.body.length === 0) return [];
    try {
      const parsed: unknown = JSON.parse(a.body.toString('utf8'));
      if (Array.isArray(parsed)) return parsed as DicomJson[];
    } catch {
      // Reported below.
    }
    throw new PacsUnavailableError(this.node.label, `${what}: the answer is not DICOM JSON (content type ${a.contentType ?? 'none'})`);
  }

  private async qido(path: string, params: URLSearchParams, what: string, signal?: AbortSignal): Promise<DicomJson[] | null> {
    const a = await this.http(`${path}?${params}`, { headers: { accept: 'application/dicom+json' } }, what, signal, MAX_JSON_BYTES);
    if (a.status === 404 && path !== '/studies') return null;
    if (a.status !== 200 && a.status !== 204) throw this.refused(a, what);
    return this.json(a, what);
  }

  async echo(signal?: AbortSignal): Promise<void> {
    await this.qido('/studies', new URLSearchParams({ limit: '1' }), 'QIDO-RS check', signal);
  }

  async search(query: CheckedQuery, signal?: AbortSignal): Promise<StudyMatch[]> {
    const rows = (await this.qido('/studies', qidoParams(query), 'QIDO-RS study search', signal)) ?? [];
    return rows
      .map(matchFromJson)
      .filter((m): m is StudyMatch => m !== null)
      .slice(0, query.limit);
  }

  /** The study's instances as (series, SOP instance) pairs, page by page. */
  private async instancesOf(studyUid: string, signal?: AbortSignal): Promise<{ series: string; sop: string }[]> {
    const out: { series: string; sop: string }[] = [];
    const seen = new Set<string>();
    for (let offset = 0; offset < MAX_INSTANCES; offset += PAGE) {
      const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset), includefield: TAG.SeriesInstanceUID });
      const rows = await this.qido(`/studies/${encodeURIComponent(studyUid)}/instances`, params, `listing study ${studyUid}`, signal);
      if (!rows) break;
      const before = out.length;
      for (const r of rows) {
        const series = jsonValue(r, TAG.SeriesInstanceUID);
        const sop = jsonValue(r, TAG.SOPInstanceUID);
        if (series && sop && !seen.has(sop)) {
          seen.add(sop);
          out.push({ series, sop });
        }
      }
      // A short page is the last; a page of nothing new means the node ignores offset.
      if (rows.length < PAGE || out.length === before) break;
    }
    return out;
  }

  private async fetchInstance(studyUid: string, ref: { series: string; sop: string }, signal: AbortSignal): Promise<HttpAnswer> {
    const path = `/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(ref.series)}/instances/${encodeURIComponent(ref.sop)}`;
    const what = `retrieving instance ${ref.sop}`;
    // As stored first; a node that cannot say so gets the standard's default (explicit VR little endian).
    let a = await this.http(path, { headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } }, what, signal, MAX_INSTANCE_BYTES);
    if (a.status === 406 || a.status === 400) a = await this.http(path, { headers: { accept: 'multipart/related; type="application/dicom"' } }, what, signal, MAX_INSTANCE_BYTES);
    return a;
  }

  async retrieve(studyUid: string, dir: string, opts: TransferOptions): Promise<{ files: string[]; bytes: number }> {
    const refs = await this.instancesOf(studyUid, opts.signal);
    if (refs.length === 0) throw new PacsNotFoundError(this.node.label, `has no study ${studyUid}`);
    const files: string[] = new Array(refs.length);
    let bytes = 0;
    let done = 0;
    // One report at a time, in order: a consumer that awaits (say, to show or check something) holds every fetcher.
    let reports: Promise<void> = Promise.resolve(opts.onProgress?.({ done, total: refs.length, bytes }));
    await reports;
    await eachLimited(refs, RETRIEVE_PARALLEL, opts.signal, async (ref, i, signal) => {
      const a = await this.fetchInstance(studyUid, ref, signal);
      if (a.status === 404 || a.status === 410) {
        throw new PacsNotFoundError(this.node.label, `study ${studyUid} changed during the transfer: instance ${ref.sop} (${i + 1} of ${refs.length}) is no longer there; nothing was kept`);
      }
      if (a.status !== 200) throw this.refused(a, `retrieving instance ${ref.sop}`);
      const boundary = boundaryOf(a.contentType);
      if (!boundary) throw new PacsUnavailableError(this.node.label, `instance ${ref.sop}: expected a multipart answer, got ${a.contentType ?? 'no content type'}`);
      let parts;
      try {
        parts = parseMultipart(a.body, boundary);
      } catch (err) {
        throw new PacsUnavailableError(this.node.label, `instance ${ref.sop}: ${(err as Error).message}`);
      }
      const part = parts.find((p) => /application\/dicom/i.test(p.headers['content-type'] ?? '')) ?? parts[0];
      if (!part || part.body.length < 132 || part.body.toString('latin1', 128, 132) !== 'DICM') {
        throw new PacsUnavailableError(this.node.label, `instance ${ref.sop}: the answer holds no DICOM Part 10 file`);
      }
      const file = join(dir, instanceFileName(ref.sop, i + 1));
      await writeFile(file, part.body, { flag: 'wx' });
      files[i] = file;
      bytes += part.body.length;
      // A sibling's answer that was already complete when the transfer stopped is not reported as progress.
      reports = reports.then(() => {
        if (signal.aborted) throw new CancelledError(`cancelled: retrieving study ${studyUid} from ${this.node.label}`);
        return opts.onProgress?.({ done: ++done, total: refs.length, bytes });
      });
      await reports;
    });
    return { files, bytes };
  }

  async store(instances: InstanceFile[], opts: TransferOptions): Promise<StoreOutcome> {
    const outcome: StoreOutcome = { sent: [], failed: [] };
    let bytes = 0;
    // One instance per request: a refusal is then the node's answer about that instance.
    for (const inst of instances) {
      if (opts.signal?.aborted) throw new CancelledError(`cancelled: sending to ${this.node.label}`);
      const { body, contentType } = buildMultipart([inst.bytes]);
      const what = `STOW-RS of ${inst.sopInstanceUid}`;
      const a = await this.http(`/studies`, { method: 'POST', headers: { 'content-type': contentType, accept: 'application/dicom+json' }, body }, what, opts.signal, MAX_JSON_BYTES);
      const answer = stowAnswer(a);
      const failed = answer ? failureFor(answer, inst.sopInstanceUid) : null;
      const stored = answer ? referenced(answer).includes(inst.sopInstanceUid) : false;
      const base = { file: inst.file, sopInstanceUid: inst.sopInstanceUid };
      if (a.status >= 200 && a.status < 300 && !failed && (stored || !answer)) {
        const sent = { file: inst.file, sopInstanceUid: inst.sopInstanceUid, studyUid: inst.studyUid };
        outcome.sent.push(sent);
        opts.onStored?.(sent);
        bytes += inst.bytes.length;
      } else if (a.status === 401 || a.status === 403 || a.status >= 500) {
        throw this.refused(a, what);
      } else {
        outcome.failed.push({ ...base, reason: failed ?? `HTTP ${a.status}${a.body.length ? `: ${a.body.toString('utf8', 0, 200).replace(/\s+/g, ' ')}` : ''}` });
      }
      await opts.onProgress?.({ done: outcome.sent.length + outcome.failed.length, total: instances.length, bytes });
    }
    return outcome;
  }
}

/** A STOW-RS answer is one DICOM JSON object (some servers wrap it in an array); null when there is none. */
function stowAnswer(a: HttpAnswer): DicomJson | null {
  if (!a.body.length || !/json/i.test(a.contentType ?? '')) return null;
  try {
    const parsed: unknown = JSON.parse(a.body.toString('utf8'));
    const obj = Array.isArray(parsed) ? parsed[0] : parsed;
    return obj && typeof obj === 'object' ? (obj as DicomJson) : null;
  } catch {
    return null;
  }
}

function items(answer: DicomJson, tag: string): DicomJson[] {
  const el = answer[tag];
  return (el?.Value ?? []).filter((v): v is DicomJson => typeof v === 'object' && v !== null);
}

function referenced(answer: DicomJson): string[] {
  return items(answer, '00081199').flatMap((i) => jsonValues(i, '00081155'));
}

function failureFor(answer: DicomJson, sop: string): string | null {
  const item = items(answer, '00081198').find((i) => jsonValue(i, '00081155') === sop);
  if (!item) return null;
  const reason = jsonValue(item, '00081197');
  return `refused (failure reason ${reason === null ? 'not given' : `0x${Number(reason).toString(16).toUpperCase()}`})`;
}
