/**
 * `candor pacs echo|search|pull|push --url URL …`: the hospital's archive from the command line,
 * over DICOMweb (`--url http://host/dicom-web`) or DIMSE (`--url dimse://AET@host:port`).
 * Ctrl-C stops a transfer (the association is aborted, the partial pull removed).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuditStore } from '../../../db/audit-store';
import { CancelledError } from '../../../native-models/errors';
import { findingResultFiles } from '../../services/pacs-results';
import { defaultActor } from '../../services/pacs';
import { pullRecord, pushRecord, type TransferRecord } from '../../pacs/audit-record';
import { appVersion } from '../../version';
import { scanFileLoader } from './audit';
import { cliGuard, cliInstallation } from '../installation';
import { installationKey } from '../../../db/installation-key';
import { connect, MAX_MATCHES, pullStudy, pushFiles, searchStudies, type NodeConfig, type PacsClient, type SentInstance, type StudyMatch, type TransferProgress } from '../../pacs/index';
import { intOption, parseArgs, UsageError, type CliIo } from '../io';

export const PACS_USAGE = `usage: candor pacs <command> --url URL [options]
  echo                                          check that the node answers (C-ECHO, or a QIDO-RS query)
  search  [--patient ID] [--name NAME] [--date FROM-TO] [--modality M] [--accession A] [--study UID] [--limit N] [--json]
  pull    --study UID --out DIR [--json]        the study into DIR/<UID>/ (complete, or not at all)
  push    FILE… [--json]                        send DICOM Part 10 files
  push    --db FILE --finding ID --scan FILE [--out DIR] [--json]
                                                send a recorded finding's results, made in the scan's study
                                                (today its report as a DICOM Encapsulated PDF; written to DIR)
  --url            a DICOMweb root (http://host:port/dicom-web) or dimse://AET@host:port
  --aet NAME       our AE title for DIMSE (default CANDOR)
  --move-port N    DIMSE pull by C-MOVE to a storage SCP we open on port N (default: C-GET)
  --timeout S      give up on a node that stays silent this many seconds (default 20)
  --db FILE        record the pull or push in this audit log (who: --user NAME, default this computer's account)
  --date           YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD`;

const VALUED = ['url', 'aet', 'move-port', 'timeout', 'patient', 'name', 'date', 'modality', 'accession', 'study', 'limit', 'out', 'db', 'finding', 'scan', 'user', 'config-dir', 'anchors-dir'];
const FLAGS = ['json'];

/** Options and, for push, the files (the arguments that are not options). */
function parse(args: string[]): { command: string; values: Record<string, string>; flags: Set<string>; files: string[] } {
  const [command, ...rest] = args;
  if (!command || command.startsWith('-')) throw new UsageError('no pacs command given (echo, search, pull or push)');
  const files: string[] = [];
  const { values, flags } = parseArgs(rest, VALUED, FLAGS, files);
  if (files.length && command !== 'push') throw new UsageError(`unexpected argument "${files[0]}"`);
  return { command, values, flags, files };
}

function nodeConfig(values: Record<string, string>): NodeConfig {
  if (!values.url) throw new UsageError('--url is required (a DICOMweb root or dimse://AET@host:port)');
  return { url: values.url, callingAet: values.aet, movePort: intOption(values, 'move-port', 1, 65535) };
}

function progressLine(io: CliIo, verb: string): (p: TransferProgress) => void {
  return (p) => io.stderr(`\r${verb} ${p.done}${p.total !== null ? ` of ${p.total}` : ''} instance(s), ${(p.bytes / 2 ** 20).toFixed(1)} MiB`);
}

function matchLine(m: StudyMatch): string {
  const cells = [m.studyDate ?? '--------', (m.modalities.join('/') || '-').padEnd(5), (m.patientId ?? '-').padEnd(16), (m.patientName ?? '-').padEnd(20), (m.accession ?? '-').padEnd(10), `${m.instances ?? '?'} inst`, m.studyUid, m.description ?? ''];
  return cells.join('  ').trimEnd();
}

/** Awaits a transfer and, with --db, records how it ended in the audit log (a failure too, then rethrown). */
async function recorded<T>(values: Record<string, string>, io: CliIo, work: Promise<T>, describe: (o: { value: T } | { error: unknown }) => TransferRecord): Promise<T> {
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await work };
  } catch (error) {
    outcome = { error };
  }
  if (values.db) {
    // Signed with this installation's key, as a finding recorded by `candor explain --db` is.
    const store = AuditStore.open(resolve(values.db), { signingKey: installationKey(cliInstallation(values).paths).key });
    try {
      const ev = store.recordEvent({ actor: values.user?.trim() || defaultActor(), ...describe(outcome) });
      io.stderr(`recorded as audit event ${ev.seq} in ${store.path}\n`);
    } finally {
      store.close();
    }
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** A recorded finding's result objects, made from the audit log and the scan it was made on. */
async function findingFiles(values: Record<string, string>, files: string[]): Promise<string[]> {
  if (files.length) throw new UsageError('push takes FILE… or --finding ID, not both');
  if (!values.db || !values.scan) throw new UsageError('push --finding needs --db FILE (the audit log) and --scan FILE (the DICOM scan the finding was made on)');
  const store = AuditStore.open(values.db, { readOnly: true });
  try {
    const outDir = values.out ? resolve(values.out) : await mkdtemp(join(tmpdir(), 'candor-results-'));
    return await findingResultFiles({ store, findingId: values.finding!, scanFile: resolve(values.scan), outDir, loadScanImage: scanFileLoader([values.scan]), guard: cliGuard(cliInstallation(values), [values.db]) });
  } finally {
    store.close();
  }
}

/** Aborts on Ctrl-C while the command runs (only when it runs as the process itself). */
function interruptSignal(): { signal: AbortSignal; release(): void } {
  const ctrl = new AbortController();
  const onInt = () => ctrl.abort();
  process.once('SIGINT', onInt);
  return { signal: ctrl.signal, release: () => process.removeListener('SIGINT', onInt) };
}

export async function pacsCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h') {
    io.stdout(`${PACS_USAGE}\n`);
    return args.length === 0 ? 2 : 0;
  }
  const interrupt = interruptSignal();
  try {
    const { command, values, flags, files } = parse(args);
    if (!['echo', 'search', 'pull', 'push'].includes(command)) throw new UsageError(`unknown pacs command '${command}'`);
    const timeout = intOption(values, 'timeout', 1, 3600) ?? 20;
    const client: PacsClient = connect(nodeConfig(values), { idleMs: timeout * 1000 });
    const json = flags.has('json');
    const { signal } = interrupt;

    if (command === 'echo') {
      await client.echo(signal);
      io.stdout(`${client.node.label} answers\n`);
      return 0;
    }
    if (command === 'search') {
      const limit = intOption(values, 'limit', 1, MAX_MATCHES);
      const matches = await searchStudies(client, { patientId: values.patient, patientName: values.name, date: values.date, modality: values.modality, accession: values.accession, studyUid: values.study, limit }, signal);
      if (json) io.stdout(`${JSON.stringify({ node: client.node.label, studies: matches }, null, 2)}\n`);
      else {
        io.stdout(`${matches.length} stud${matches.length === 1 ? 'y' : 'ies'} on ${client.node.label}\n`);
        for (const m of matches) io.stdout(`${matchLine(m)}\n`);
      }
      return 0;
    }
    if (command === 'pull') {
      if (!values.study) throw new UsageError('pull needs --study UID');
      if (!values.out) throw new UsageError('pull needs --out DIR');
      const pulling = pullStudy(client, values.study, resolve(values.out), { signal, onProgress: json ? undefined : progressLine(io, 'received') });
      const result = await recorded(values, io, pulling, (o) => pullRecord(client.node, values.study!, appVersion(), 'value' in o ? { result: o.value } : o));
      if (!json) io.stderr('\n');
      if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      else io.stdout(`pulled study ${result.studyUid} from ${result.node}: ${result.files.length} instance(s), ${result.bytes} bytes, in ${result.dir}\n`);
      return 0;
    }
    // push
    const toSend = values.finding ? await findingFiles(values, files) : files.map((f) => resolve(f));
    if (toSend.length === 0) throw new UsageError('push needs at least one FILE, or --db FILE --finding ID --scan FILE');
    const stored: SentInstance[] = [];
    const pushing = pushFiles(client, toSend, { signal, onProgress: json ? undefined : progressLine(io, 'sent'), onStored: (x) => void stored.push(x) });
    const result = await recorded(values, io, pushing, (o) => pushRecord(client.node, appVersion(), 'value' in o ? { result: o.value } : { error: o.error, sent: stored }));
    if (!json) io.stderr('\n');
    if (json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.stdout(`sent ${result.sent.length} of ${toSend.length} instance(s) to ${result.node} (${result.bytes} bytes)\n`);
      for (const f of result.failed) io.stdout(`NOT SENT ${f.file} (${f.sopInstanceUid}): ${f.reason}\n`);
    }
    return result.failed.length ? 1 : 0;
  } catch (err) {
    const e = err as Error;
    if (err instanceof UsageError) {
      io.stderr(`candor pacs: ${e.message}\n${PACS_USAGE}\n`);
      return 2;
    }
    io.stderr(`candor pacs: ${err instanceof CancelledError ? 'stopped: ' : ''}${e.message}\n`);
    return err instanceof CancelledError ? 130 : 1;
  } finally {
    interrupt.release();
  }
}
