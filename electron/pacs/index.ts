/**
 * The PACS room: talking to a hospital's image archive. A node (DICOMweb or DIMSE, see node.ts)
 * gets a client behind one interface (client.ts); a pull lands in a temporary folder of the
 * local cache and is renamed into place only when complete, so a failed, cancelled or changed
 * transfer leaves nothing half-written; a push reads Part 10 files and reports each instance.
 */
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../native-models/errors';
import { DEFAULT_TIMEOUTS, type PacsClient, type Timeouts, type TransferOptions } from './client';
import { DicomWebClient } from './dicomweb';
import { DimseClient } from './dimse';
import { PacsInputError, PacsUnavailableError } from './errors';
import { readInstance, studyOfFile, type InstanceFile } from './instance';
import { parseNode } from './node';
import { checkQuery } from './query';
import type { NodeConfig, PacsNode, PullResult, PushResult, StudyMatch, StudyQuery } from './types';

export type { NodeConfig, PacsNode, PullResult, PushResult, SentInstance, StudyMatch, StudyQuery, TransferProgress } from './types';
export type { PacsClient, Timeouts, TransferOptions } from './client';
export { DEFAULT_TIMEOUTS } from './client';
export { parseNode, DEFAULT_CALLING_AET } from './node';
export { normalizeDateRange, MAX_MATCHES } from './query';
export { PacsInputError, PacsNotFoundError, PacsUnavailableError } from './errors';

export function clientFor(node: PacsNode, timeouts: Timeouts = DEFAULT_TIMEOUTS): PacsClient {
  return node.kind === 'dicomweb' ? new DicomWebClient(node, timeouts) : new DimseClient(node, timeouts);
}

export function connect(config: NodeConfig, timeouts: Timeouts = DEFAULT_TIMEOUTS): PacsClient {
  return clientFor(parseNode(config), timeouts);
}

export async function searchStudies(client: PacsClient, query: StudyQuery, signal?: AbortSignal): Promise<StudyMatch[]> {
  return client.search(checkQuery(query), signal);
}

export function checkStudyUid(uid: string): string {
  const s = uid.trim();
  if (!/^[0-9]+(\.[0-9]+)*$/.test(s) || s.length > 64) throw new PacsInputError(`"${uid}" is not a Study Instance UID (digits and dots, at most 64)`);
  return s;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Pulls a study into `cacheRoot/<Study Instance UID>/`: filled in a `.partial-…` folder beside it,
 * each file checked to belong to the study, then renamed into place (replacing an earlier pull).
 */
export async function pullStudy(client: PacsClient, studyUid: string, cacheRoot: string, opts: TransferOptions = {}): Promise<PullResult> {
  const uid = checkStudyUid(studyUid);
  try {
    await mkdir(cacheRoot, { recursive: true });
  } catch (err) {
    throw new PacsUnavailableError(client.node.label, `the cache folder ${cacheRoot} cannot be created (${errorMessage(err)})`);
  }
  const partial = await mkdtemp(join(cacheRoot, `.partial-${uid}-`));
  try {
    const { files, bytes } = await client.retrieve(uid, partial, opts);
    const instances: string[] = [];
    for (const f of files) {
      const { studyUid: inFile, sopInstanceUid } = await studyOfFile(f);
      if (inFile !== uid) throw new PacsUnavailableError(client.node.label, `sent ${basename(f)} of study ${inFile ?? '(none)'} when asked for ${uid}; nothing was kept`);
      instances.push(sopInstanceUid ?? basename(f));
    }
    const dir = join(cacheRoot, uid);
    if (await exists(dir)) {
      const old = `${dir}.old-${randomBytes(4).toString('hex')}`;
      await rename(dir, old);
      await rename(partial, dir);
      await rm(old, { recursive: true, force: true });
    } else await rename(partial, dir);
    return { node: client.node.label, studyUid: uid, dir, files: files.map((f) => join(dir, basename(f))).sort(), instances: instances.sort(), bytes };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

/** Reads every file first (a bad one stops the push before anything is sent), then sends them. */
export async function pushFiles(client: PacsClient, files: string[], opts: TransferOptions = {}): Promise<PushResult> {
  if (files.length === 0) throw new PacsInputError('no files to send');
  const instances: InstanceFile[] = [];
  for (const f of files) instances.push(await readInstance(f));
  const { sent, failed } = await client.store(instances, opts);
  const bytes = instances.filter((i) => sent.some((s) => s.sopInstanceUid === i.sopInstanceUid)).reduce((n, i) => n + i.bytes.length, 0);
  return { node: client.node.label, sent, failed, bytes };
}
