/**
 * `candor audit verify|replay|list|show|export|checkpoint|key …` (exit codes: AUDIT_USAGE).
 */
import { writeFileSync } from 'node:fs';
import type { AuditRow, ReplayReport, VerifyReport } from '../../api/contract';
import { AuditStore, type AuditFilter } from '../../../db/audit-store';
import { CandorError, NotFoundError } from '../../../native-models/errors';
import { UsageError } from '../io';
import { pdfInputsFor, type ScanImageLoader } from '../../report/finding-report';
import type { LoadedScan } from '../../imaging/index';
import { renderFindingsPdf } from '../../report/pdf';
import { auditLogAsFhir } from '../../../db/fhir';
import { appVersion } from '../../version';
import { cliGuard, cliInstallation, INSTALLATION_HELP, type CliInstallation } from '../installation';
import { checkOutputPath } from '../../../db/file-guard';
import { checkpointAnchorText, readAnchorFile, writeAnchorFile } from '../../../db/anchors';
import { installationKey } from '../../../db/installation-key';
import { pinKey, publicKeysInFile, TrustStore, trustStorePem } from '../../../db/trust';
import { keyFingerprint, shortFingerprint } from '../../../db/signing';

export interface AuditIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
export interface AuditDeps {
  /** Supplied by the app's imaging service; without it the PDF shows the map without the scan. */
  loadScanImage?: ScanImageLoader;
}

/** Exit codes of `candor audit` (documented in AUDIT_USAGE). */
export const EXIT = { ok: 0, broken: 1, usage: 2, unprotected: 3, uncovered: 4, wrongInputs: 5 } as const;

export const AUDIT_USAGE = `usage: candor audit <command> [options]
  verify      --db FILE [--anchor FILE …] [--trust KEY.pem …] [--no-local-anchors] [--json]
              recompute the hash chain; check every checkpoint and head signature against the pinned keys
              (the trust store, or only the --trust files) and every anchor: checkpoint files and Candor
              PDF reports taken earlier (--anchor, and the installation's anchors folder); report which
              events are covered by a trusted signature or an anchor
  replay      --db FILE --seq N --scan FILE --model DIR [--prefer auto|cpu|cuda|dml|coreml] [--json]
              run the recorded explanation again (same model and scan by SHA-256, method, settings,
              frame, window, letterbox) and compare similarity, token scores and map with the record
  list        --db FILE [filters] [--json]                  events, newest first
  show        --db FILE (--id FINDING | --seq N) [--json]   one finding or event in full
  export      --db FILE (--json | --csv | --fhir | --pdf OUT | --dicom OUTDIR) [--out FILE] [--identifying] [--scan FILE …] [filters]
              --fhir: FHIR R4 AuditEvent resources (a collection Bundle) for a hospital audit repository
              --scan: the scan file(s) the findings were made on, drawn as the reviewer saw them
              (matched by SHA-256; without them the PDF shows the attribution map alone)
              --dicom: each finding as DICOM objects in its scan's study (needs its --scan file)
  checkpoint  --db FILE [--out FILE]     sign the chain head with this installation's key, record that in
              the log, and write the checkpoint (an anchor: keep a copy outside this machine)
  key         [--export FILE] [--trust KEY.pem …]   this installation's key and the pinned keys; --export
              writes the pinned public keys as PEM (give it to auditors); --trust pins the keys in a PEM
              file (a public key, or an old private key such as candor-audit-ed25519.pem)
filters: --reviewer NAME --study LABEL|UID --method M --model NAME|SHA-PREFIX --from DATE --to DATE --search TEXT --limit N
${INSTALLATION_HELP}
exit codes:
  0  verify: the chain is intact and every event is covered by a trusted signature or an anchor;
     replay: reproduced within tolerance; other commands: done
  1  verify: something is broken: a chain break, a signature by a key that is not pinned or that does not
     verify, an anchor the file no longer matches (rewritten, truncated, another log);
     replay: the result differs from the record beyond tolerance
  2  bad usage, or a file that cannot be used (missing, not a Candor log, newer schema, unreadable anchor
     or key file), or an output path refused (it would overwrite a database, journal, key, trust store or anchor)
  3  verify: intact and covered, but the file's append-only triggers were removed
  4  verify: intact, but the newest events are covered by no trusted signature or anchor (it says how many)
  5  replay: the scan or model given is not the recorded one (it says which SHA-256 differs)`;

const VALUE_FLAGS = ['db', 'id', 'seq', 'pdf', 'dicom', 'out', 'reviewer', 'study', 'method', 'model', 'from', 'to', 'search', 'limit', 'export', 'prefer', 'config-dir', 'anchors-dir'];
const BOOL_FLAGS = ['json', 'csv', 'fhir', 'identifying', 'no-local-anchors'];
/** Options that may be given more than once; --checkpoint is the older name of --anchor. */
const LIST_FLAGS = ['scan', 'anchor', 'checkpoint', 'trust'];
const COMMANDS = ['verify', 'replay', 'list', 'show', 'export', 'checkpoint', 'key'];

interface Parsed {
  command: string;
  opts: Record<string, string>;
  flags: Set<string>;
  lists: Record<string, string[]>;
}

function parse(args: string[]): Parsed {
  const [command, ...rest] = args;
  if (!command || command.startsWith('-')) throw new UsageError('no audit command given');
  const opts: Record<string, string> = {};
  const flags = new Set<string>();
  const lists: Record<string, string[]> = Object.fromEntries(LIST_FLAGS.map((f) => [f, []]));
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (BOOL_FLAGS.includes(name)) {
      flags.add(name);
      continue;
    }
    if (!VALUE_FLAGS.includes(name) && !LIST_FLAGS.includes(name)) throw new UsageError(`unknown option --${name}`);
    const v = inline ?? rest[++i];
    if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs ${LIST_FLAGS.includes(name) ? 'a file' : 'a value'}`);
    if (LIST_FLAGS.includes(name)) lists[name].push(v);
    else opts[name] = v;
  }
  return { command, opts, flags, lists };
}

/**
 * Draws a finding's scan from files given on the command line, exactly as the app does for a
 * scan that is open (the same windowing from the explanation's parameters), so the CLI and
 * the app print the same PDF.
 */
export function scanFileLoader(paths: string[]): ScanImageLoader {
  let bySha: Promise<Map<string, LoadedScan>> | null = null;
  return async ({ sha256, frame, explanation }) => {
    const { loadScan } = await import('../../imaging/index');
    bySha ??= Promise.all(paths.map((p) => loadScan(p))).then((scans) => new Map(scans.map((s) => [s.summary.sha256, s])));
    const scan = (await bySha).get(sha256);
    if (!scan) return null;
    const { windowedGray } = await import('../../services/report');
    const p = explanation.params;
    const window = typeof p.windowCenter === 'number' && typeof p.windowWidth === 'number' ? { center: p.windowCenter, width: p.windowWidth } : null;
    return windowedGray(scan.summary, await scan.frame(frame), window);
  };
}

function filterFrom(opts: Record<string, string>, defaultLimit: number): AuditFilter {
  let limit = defaultLimit;
  if (opts.limit !== undefined) {
    limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive whole number, not '${opts.limit}'`);
  }
  return { reviewer: opts.reviewer, study: opts.study, method: opts.method, model: opts.model, from: opts.from, to: opts.to, search: opts.search, limit };
}

const CSV_COLUMNS: (keyof AuditRow)[] = ['seq', 'time', 'actor', 'action', 'findingId', 'study', 'model', 'modelSha256', 'method', 'similarity', 'decision', 'eventHash'];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  // Quote when needed; a leading =,+,-,@ is neutralised so a spreadsheet does not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function rowLine(r: AuditRow): string {
  const what = r.findingId ? `${r.decision ?? ''} ${r.method ?? ''} sim=${r.similarity ?? ''} study=${r.study ?? '-'} model=${r.model ?? ''}` : '';
  return `${String(r.seq).padStart(6)}  ${r.time}  ${r.actor.padEnd(14)}  ${r.action.padEnd(16)}  ${what}`.trimEnd();
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return v instanceof Float32Array ? Array.from(v) : v;
}

function needDb(opts: Record<string, string>): string {
  if (!opts.db) throw new UsageError('--db FILE is required');
  return opts.db;
}

export async function auditCommand(args: string[], io: AuditIo, deps: AuditDeps = {}): Promise<number> {
  let store: AuditStore | null = null;
  try {
    if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
      io.stdout(`${AUDIT_USAGE}\n`);
      return EXIT.ok;
    }
    const { command, opts, flags, lists } = parse(args);
    if (!COMMANDS.includes(command)) throw new UsageError(`unknown audit command '${command}'`);
    if (lists.scan.length && command !== 'export' && command !== 'replay') throw new UsageError('--scan is for export --pdf, export --dicom and replay');
    const inst = cliInstallation(opts);

    if (command === 'key') return keyCommand(opts, lists, inst, io);
    if (command === 'verify') return verifyCommand(needDb(opts), opts, flags, lists, inst, io);
    if (command === 'replay') return await replayCommand(needDb(opts), opts, flags, lists, io);
    const loadScanImage = deps.loadScanImage ?? (lists.scan.length ? scanFileLoader(lists.scan) : undefined);
    const db = needDb(opts);
    const guard = cliGuard(inst, [db]);
    // Outputs are checked before anything is signed or read: a refused path changes nothing.
    const out = opts.out ? checkOutputPath(opts.out, guard, 'the output') : null;
    const pdfOut = opts.pdf ? checkOutputPath(opts.pdf, guard, 'the PDF report') : null;
    // Only signing a checkpoint writes to the log; everything else leaves the evidence untouched.
    store = AuditStore.open(db, command === 'checkpoint' ? { signingKey: installationKey(inst.paths).key } : { readOnly: true });

    if (command === 'list') {
      const rows = store.list(filterFrom(opts, 500));
      if (flags.has('json')) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        io.stdout(`${rows.length} event(s), newest first\n`);
        for (const r of rows) io.stdout(`${rowLine(r)}\n`);
      }
      return EXIT.ok;
    }

    if (command === 'show') {
      if (opts.id) {
        const finding = store.getFinding(opts.id);
        const context = store.getFindingContext(opts.id);
        if (flags.has('json')) io.stdout(`${JSON.stringify({ ...finding, context }, jsonReplacer, 2)}\n`);
        else {
          const e = finding.explanation;
          io.stdout(
            [
              `Finding ${finding.findingId} (event ${finding.seq}, ${finding.time})`,
              `  reviewer   ${finding.reviewer}`,
              `  decision   ${finding.decision}`,
              `  note       ${finding.note}`,
              `  study      ${context.studyLabel ?? context.scan.studyUid ?? '-'}`,
              `  model      ${e.model.name} ${e.model.sha256}`,
              `  method     ${e.method} ${JSON.stringify(e.params)}`,
              `  similarity ${e.similarity}`,
              `  metrics    ${JSON.stringify(e.metrics)}`,
              `  provider   ${e.provider}, app ${context.appVersion}`,
              `  event hash ${finding.eventHash}`,
              '',
            ].join('\n'),
          );
        }
        return EXIT.ok;
      }
      if (opts.seq) {
        const seq = seqOption(opts.seq);
        const ev = store.events(seq, 1)[0];
        if (!ev || ev.seq !== seq) throw new NotFoundError(`audit database ${store.path}: there is no event ${seq}`);
        io.stdout(`${JSON.stringify(ev, null, 2)}\n`);
        return EXIT.ok;
      }
      throw new UsageError('show needs --id FINDING or --seq N');
    }

    if (command === 'export') {
      const formats = [flags.has('json') && 'json', flags.has('csv') && 'csv', flags.has('fhir') && 'fhir', opts.pdf && 'pdf', opts.dicom && 'dicom'].filter(Boolean);
      if (formats.length !== 1) throw new UsageError('export needs exactly one of --json, --csv, --fhir, --pdf OUT, --dicom OUTDIR');
      // Oldest first for an export: it reads like the log.
      const rows = store.list(filterFrom(opts, Number.MAX_SAFE_INTEGER)).reverse();
      if (opts.dicom) {
        const { writeRecordedFindings } = await import('../../dicom-export/index');
        const written = await writeRecordedFindings(store, rows.filter((r) => r.findingId).map((r) => r.findingId!), lists.scan, opts.dicom);
        for (const n of [...written.notes, ...written.skipped]) io.stderr(`note: ${n}\n`);
        io.stdout(`wrote ${written.files.length} DICOM object(s) for ${written.written} finding(s) to ${opts.dicom}\n`);
        return EXIT.ok;
      }
      if (pdfOut) {
        const ids = rows.filter((r) => r.findingId).map((r) => r.findingId!);
        if (!ids.length) throw new UsageError('no finding matches the filters; nothing to put in the PDF');
        const inputs = await pdfInputsFor(store, ids, { loadScanImage, includeIdentifying: flags.has('identifying') });
        const pdf = await renderFindingsPdf(inputs);
        writeFileSync(pdfOut, pdf);
        const withoutScan = inputs.filter((p) => !p.scanImage).length;
        if (withoutScan) io.stderr(`note: ${withoutScan} finding(s) printed without their scan (give the scan files with --scan)\n`);
        io.stdout(`wrote ${opts.pdf}: ${ids.length} finding(s), ${pdf.length} bytes\n`);
        return EXIT.ok;
      }
      let text: string;
      if (flags.has('fhir')) text = `${JSON.stringify(auditLogAsFhir(store, { app: appVersion(), seqs: rows.map((r) => r.seq) }), null, 2)}\n`;
      else if (flags.has('json')) {
        const events = new Map(store.events(1).map((e) => [e.seq, e]));
        const out = rows.map((r) => {
          const ev = events.get(r.seq)!;
          const base = { ...r, entityType: ev.entity_type, entityId: ev.entity_id, payloadHash: ev.payload_hash, prevHash: ev.prev_hash };
          if (!r.findingId) return { ...base, payload: ev.payload ? (JSON.parse(ev.payload) as unknown) : null };
          const f = store!.getFinding(r.findingId);
          const ctx = store!.getFindingContext(r.findingId);
          const { image, ...rest } = f.explanation;
          return {
            ...base,
            reviewer: f.reviewer,
            note: f.note,
            studyLabel: ctx.studyLabel,
            appVersion: ctx.appVersion,
            explanation: { ...rest, image: image ? { grid: image.grid, tokenScores: image.tokenScores, map: image.map } : null },
          };
        });
        text = `${JSON.stringify({ db: store.path, chain: store.verify(), rows: out }, jsonReplacer, 2)}\n`;
      } else {
        const lines = [[...CSV_COLUMNS, 'note'].join(',')];
        for (const r of rows) {
          const note = r.findingId ? store.getFinding(r.findingId).note : '';
          lines.push([...CSV_COLUMNS.map((c) => csvCell(r[c])), csvCell(note)].join(','));
        }
        text = `${lines.join('\r\n')}\r\n`;
      }
      if (out) {
        writeFileSync(out, text);
        io.stdout(`wrote ${opts.out}: ${rows.length} event(s)\n`);
      } else io.stdout(text);
      return EXIT.ok;
    }

    // checkpoint: recorded in the log, written where asked and into the anchors folder.
    const cp = store.signCheckpoint();
    const log = { firstHash: store.identity().firstHash!, path: store.path };
    const text = checkpointAnchorText(cp, log, new Date().toISOString());
    const kept = writeAnchorFile(inst.anchorsDir, cp, log);
    if (out) {
      writeFileSync(out, text);
      io.stdout(`signed the chain head at event ${cp.seq} with key ${shortFingerprint(keyFingerprint(cp.publicKey))}; checkpoint written to ${opts.out} and ${kept} (keep a copy outside this machine)\n`);
    } else io.stdout(text);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`candor audit: ${err.message}\n${AUDIT_USAGE}\n`);
      return EXIT.usage;
    }
    if (err instanceof CandorError && err.code !== 'internal') {
      io.stderr(`candor audit: ${err.message}\n`);
      return EXIT.usage;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string' && e.path) {
      io.stderr(`candor audit: ${e.path}: ${e.message}\n`);
      return EXIT.usage;
    }
    throw err;
  } finally {
    store?.close();
  }
}

function seqOption(v: string): number {
  const seq = Number(v);
  if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`--seq must be a positive whole number, not '${v}'`);
  return seq;
}

/** The keys verify trusts: only the --trust files when given, else the installation's trust store. */
function trustFor(lists: Record<string, string[]>, inst: CliInstallation): TrustStore {
  return lists.trust.length ? TrustStore.fromPemFiles(lists.trust) : TrustStore.load(inst.paths.trustFile);
}

function verifyCommand(db: string, opts: Record<string, string>, flags: Set<string>, lists: Record<string, string[]>, inst: CliInstallation, io: AuditIo): number {
  const trust = trustFor(lists, inst);
  const anchors = [...lists.anchor, ...lists.checkpoint].flatMap((f) => readAnchorFile(f));
  const store = AuditStore.open(db, { readOnly: true });
  try {
    // Evidence is checked here: the full PRAGMA integrity_check too (the app's open runs only quick_check).
    const report = store.verifyEvidence({ trust, anchors, anchorsDir: flags.has('no-local-anchors') ? null : inst.anchorsDir, integrity: true, full: true });
    if (flags.has('json')) io.stdout(`${JSON.stringify({ db: store.path, ...report }, null, 2)}\n`);
    else io.stdout(verifyText(store.path, report));
    return { verified: EXIT.ok, broken: EXIT.broken, uncovered: EXIT.uncovered, unprotected: EXIT.unprotected }[report.verdict];
  } finally {
    store.close();
  }
}

function range(r: { from: number; to: number }): string {
  return r.from === r.to ? `event ${r.from}` : `events ${r.from}..${r.to}`;
}

/** The report in plain words: chain, signers, anchors, coverage, every problem, then the verdict. */
export function verifyText(path: string, v: VerifyReport): string {
  const lines: string[] = [];
  const chainOk = !v.breaks.some((b) => ['edited', 'deleted', 'inserted', 'reordered', 'payload', 'corrupt'].includes(b.code));
  lines.push(`Chain:     ${v.events} events, ${chainOk ? 'hash chain intact' : 'hash chain BROKEN'} (${path}${v.readOnlyCopy ? '; read-only medium: a private copy was read' : ', opened read-only'})`);
  if (!v.signers.length) lines.push('Signers:   none (no checkpoint or head signature in this log)');
  for (const [i, s] of v.signers.entries()) {
    const who = s.trusted ? `pinned (${s.label})` : 'NOT PINNED';
    const reach = s.trusted ? (s.coversTo ? `vouches for events 1..${s.coversTo}` : 'no valid signature') : `newest over event ${s.latestSeq}`;
    lines.push(`${i ? '           ' : 'Signers:   '}key ${shortFingerprint(s.fingerprint)} ${who}: ${s.signatures} signature(s), ${reach}`);
  }
  lines.push(`Trusted:   keys from ${v.trustSource}`);
  if (!v.anchors.length) lines.push('Anchors:   none given, none in the anchors folder');
  for (const [i, a] of v.anchors.entries()) {
    const what = a.kind === 'pdf' ? `PDF, ${a.entries.length ? `${a.entries.length > 1 ? 'events' : 'event'} ${a.entries.join(', ')} and ` : ''}head ${a.seq}` : `checkpoint, event ${a.seq}`;
    lines.push(`${i ? '           ' : 'Anchors:   '}${a.local ? '(anchors folder) ' : ''}${a.source} (${what}): ${a.ok ? 'matches' : `DOES NOT MATCH (${a.problem!.code})`}`);
  }
  for (const u of v.unreadableAnchors) lines.push(`           unreadable: ${u}`);
  const c = v.coverage;
  lines.push(`Coverage:  ${c.covered ? `${range(c.covered)} of ${c.events} covered` : `none of ${c.events} events covered`} (trusted signatures reach ${c.bySignature || 'nothing'}, anchors reach ${c.byAnchor || 'nothing'})${c.uncovered ? `; NOT covered: ${range(c.uncovered)}` : ''}`);
  for (const b of v.breaks) lines.push(`Problem:   ${b.seq !== null ? `event ${b.seq}: ` : ''}(${b.code}) ${b.reason}`);
  if (v.missingProtections.length) lines.push(`WARNING:   append-only protections were removed from this file: ${v.missingProtections.join(', ')}`);
  if (v.integrity?.length) lines.push(`Integrity: ${v.integrity.slice(0, 5).join('; ')}`);
  lines.push(v.summary);
  return `${lines.join('\n')}\n`;
}

function keyCommand(opts: Record<string, string>, lists: Record<string, string[]>, inst: CliInstallation, io: AuditIo): number {
  const own = installationKey(inst.paths);
  for (const file of lists.trust) {
    for (const publicKey of publicKeysInFile(file)) {
      const { key, added } = pinKey(inst.paths.trustFile, publicKey, `pinned from ${file}`);
      io.stdout(`${added ? 'pinned' : 'already pinned'}: key ${key.fingerprint} (${key.label})\n`);
    }
  }
  const store = TrustStore.load(inst.paths.trustFile);
  if (opts.export) {
    const target = checkOutputPath(opts.export, cliGuard(inst, []), 'the exported key');
    writeFileSync(target, trustStorePem(store));
    io.stdout(`wrote ${opts.export}: ${store.keys.length} public key(s) (give it to auditors: candor audit verify --trust ${opts.export})\n`);
  }
  io.stdout(`this installation's signing key: ${own.fingerprint} (${own.file})\ntrust store ${inst.paths.trustFile}: ${store.keys.length} pinned key(s)\n`);
  for (const k of store.keys) io.stdout(`  ${k.fingerprint}  ${k.label}\n`);
  return EXIT.ok;
}

async function replayCommand(db: string, opts: Record<string, string>, flags: Set<string>, lists: Record<string, string[]>, io: AuditIo): Promise<number> {
  if (!opts.seq) throw new UsageError('replay needs --seq N (the audit entry of the finding)');
  if (lists.scan.length !== 1) throw new UsageError('replay needs --scan FILE (the scan the finding was made on)');
  if (!opts.model) throw new UsageError('replay needs --model DIR (the model bundle the finding was made with)');
  const seq = seqOption(opts.seq);
  const prefer = opts.prefer;
  if (prefer !== undefined && !['auto', 'cpu', 'cuda', 'dml', 'coreml'].includes(prefer)) throw new UsageError('--prefer must be auto, cpu, cuda, dml or coreml');
  const store = AuditStore.open(db, { readOnly: true });
  let report: ReplayReport;
  try {
    const finding = store.getFinding(store.findingIdAt(seq));
    const [{ loadScan }, { loadClipBundle }, { replayFinding }, { graphCacheIn }] = await Promise.all([import('../../imaging/index'), import('../../../native-models/clip/bundle'), import('../../services/replay'), import('../../services/graph-cache')]);
    const scan = await loadScan(lists.scan[0]);
    // The provider the finding was recorded on, unless told otherwise: another provider's kernels round differently.
    const bundle = await loadClipBundle(opts.model, { prefer: (prefer ?? (finding.explanation.provider === 'cpu' ? 'cpu' : 'auto')) as 'auto', graphCache: graphCacheIn(cliInstallation(opts).paths.configDir) });
    try {
      report = await replayFinding(finding, { bundle, scan });
    } finally {
      await bundle.dispose();
    }
  } finally {
    store.close();
  }
  if (flags.has('json')) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const p of report.parts) {
      io.stdout(`${p.part.padEnd(12)} ${p.compared ? `${String(p.compared).padStart(6)} value(s), largest difference ${p.maxAbsDiff.toExponential(2)} (tolerance ${p.tolerance.toExponential(1)}) ${p.within ? 'ok' : 'BEYOND TOLERANCE'}` : `—  ${p.note ?? ''}`}\n`);
    }
    for (const d of report.paramDifferences) io.stdout(`parameter    ${d}\n`);
    io.stdout(`${report.message} (${report.ms.toFixed(0)} ms, ${report.replayed.provider ?? 'not run'})\n`);
  }
  return { reproduced: EXIT.ok, differs: EXIT.broken, 'wrong-model': EXIT.wrongInputs, 'wrong-scan': EXIT.wrongInputs }[report.outcome];
}
