/**
 * `candor audit verify|list|show|export|checkpoint --db FILE …`
 *
 * Exit codes: 0 fine; 1 the chain (or a given checkpoint) does not verify; 2 bad usage or an
 * unusable file; 3 the chain verifies but the database's append-only triggers were removed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { AuditRow } from '../../api/contract';
import { AuditStore, type AuditFilter } from '../../../db/audit-store';
import { CandorError, NotFoundError } from '../../../native-models/errors';
import { UsageError } from '../io';
import type { Checkpoint } from '../../../db/signing';
import { pdfInputsFor, type ScanImageLoader } from '../../report/finding-report';
import type { LoadedScan } from '../../imaging/index';
import { renderFindingsPdf } from '../../report/pdf';
import { auditLogAsFhir } from '../../../db/fhir';
import { appVersion } from '../../version';

export interface AuditIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
export interface AuditDeps {
  /** Supplied by the app's imaging service; without it the PDF shows the map without the scan. */
  loadScanImage?: ScanImageLoader;
}

export const AUDIT_USAGE = `usage: candor audit <command> --db FILE [options]
  verify      [--checkpoint CP.json] [--json]      recompute the hash chain; exit 1 when broken
  list        [filters] [--json]                    events, newest first
  show        (--id FINDING | --seq N) [--json]     one finding or event in full
  export      (--json | --csv | --fhir | --pdf OUT) [--out FILE] [--identifying] [--scan FILE …] [filters]
              --fhir: FHIR R4 AuditEvent resources (a collection Bundle) for a hospital audit repository
              --scan: the scan file(s) the findings were made on, drawn as the reviewer saw them
              (matched by SHA-256; without them the PDF shows the attribution map alone)
  checkpoint  [--out FILE] [--key-dir DIR]          sign the chain head (Ed25519) and print it
filters: --reviewer NAME --study LABEL|UID --method M --model NAME|SHA-PREFIX --from DATE --to DATE --search TEXT --limit N`;

const VALUE_FLAGS = ['db', 'checkpoint', 'id', 'seq', 'pdf', 'out', 'key-dir', 'reviewer', 'study', 'method', 'model', 'from', 'to', 'search', 'limit'];
const BOOL_FLAGS = ['json', 'csv', 'fhir', 'identifying'];

function parse(args: string[]): { command: string; opts: Record<string, string>; flags: Set<string>; scans: string[] } {
  const [command, ...rest] = args;
  if (!command || command.startsWith('-')) throw new UsageError('no audit command given');
  const opts: Record<string, string> = {};
  const flags = new Set<string>();
  const scans: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (BOOL_FLAGS.includes(name)) flags.add(name);
    else if (name === 'scan') {
      const v = inline ?? rest[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError('--scan needs a file');
      scans.push(v);
    } else if (VALUE_FLAGS.includes(name)) {
      const v = inline ?? rest[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      opts[name] = v;
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { command, opts, flags, scans };
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

export async function auditCommand(args: string[], io: AuditIo, deps: AuditDeps = {}): Promise<number> {
  let store: AuditStore | null = null;
  try {
    const { command, opts, flags, scans } = parse(args);
    if (scans.length && command !== 'export') throw new UsageError('--scan is for export --pdf');
    const loadScanImage = deps.loadScanImage ?? (scans.length ? scanFileLoader(scans) : undefined);
    if (!['verify', 'list', 'show', 'export', 'checkpoint'].includes(command)) throw new UsageError(`unknown audit command '${command}'`);
    if (!opts.db) throw new UsageError('--db FILE is required');
    // Only signing a checkpoint writes to the log; everything else leaves the evidence untouched.
    store = AuditStore.open(opts.db, { readOnly: command !== 'checkpoint', keyDir: opts['key-dir'] });

    if (command === 'verify') {
      // Evidence is checked here: the full PRAGMA integrity_check too (the app's open runs only quick_check).
      const status = store.verify({ integrity: true });
      let checkpoint: { ok: boolean; reason: string | null } | null = null;
      if (opts.checkpoint) {
        let cp: Checkpoint;
        try {
          cp = JSON.parse(readFileSync(opts.checkpoint, 'utf8')) as Checkpoint;
        } catch (err) {
          throw new UsageError(`the checkpoint file ${opts.checkpoint} cannot be read: ${(err as Error).message}`);
        }
        checkpoint = store.checkCheckpoint(cp);
      }
      const code = !status.ok || (checkpoint && !checkpoint.ok) ? 1 : status.missingProtections.length ? 3 : 0;
      if (flags.has('json')) io.stdout(`${JSON.stringify({ db: store.path, ...status, checkpoint }, null, 2)}\n`);
      else {
        if (status.ok) io.stdout(`OK: ${status.events} events, hash chain intact, ${status.checkpoints} signed checkpoint(s) valid (${store.path})\n`);
        else if (status.firstBroken === null) io.stdout(`BROKEN (${status.reasonCode}): ${status.reason}\n`);
        else io.stdout(`BROKEN at event ${status.firstBroken} (${status.reasonCode}): ${status.reason}\n`);
        if (checkpoint) io.stdout(checkpoint.ok ? 'Checkpoint: matches this file\n' : `Checkpoint: DOES NOT MATCH: ${checkpoint.reason}\n`);
        if (status.missingProtections.length) io.stdout(`WARNING: append-only protections were removed from this file: ${status.missingProtections.join(', ')}\n`);
      }
      return code;
    }

    if (command === 'list') {
      const rows = store.list(filterFrom(opts, 500));
      if (flags.has('json')) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        io.stdout(`${rows.length} event(s), newest first\n`);
        for (const r of rows) io.stdout(`${rowLine(r)}\n`);
      }
      return 0;
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
        return 0;
      }
      if (opts.seq) {
        const seq = Number(opts.seq);
        if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`--seq must be a positive whole number, not '${opts.seq}'`);
        const ev = store.events(seq, 1)[0];
        if (!ev || ev.seq !== seq) throw new NotFoundError(`audit database ${store.path}: there is no event ${seq}`);
        io.stdout(`${JSON.stringify(ev, null, 2)}\n`);
        return 0;
      }
      throw new UsageError('show needs --id FINDING or --seq N');
    }

    if (command === 'export') {
      const formats = [flags.has('json') && 'json', flags.has('csv') && 'csv', flags.has('fhir') && 'fhir', opts.pdf && 'pdf'].filter(Boolean);
      if (formats.length !== 1) throw new UsageError('export needs exactly one of --json, --csv, --pdf OUT, --fhir');
      // Oldest first for an export: it reads like the log.
      const rows = store.list(filterFrom(opts, Number.MAX_SAFE_INTEGER)).reverse();
      if (opts.pdf) {
        const ids = rows.filter((r) => r.findingId).map((r) => r.findingId!);
        if (!ids.length) throw new UsageError('no finding matches the filters; nothing to put in the PDF');
        const inputs = await pdfInputsFor(store, ids, { loadScanImage, includeIdentifying: flags.has('identifying') });
        const pdf = await renderFindingsPdf(inputs);
        writeFileSync(opts.pdf, pdf);
        const withoutScan = inputs.filter((p) => !p.scanImage).length;
        if (withoutScan) io.stderr(`note: ${withoutScan} finding(s) printed without their scan (give the scan files with --scan)\n`);
        io.stdout(`wrote ${opts.pdf}: ${ids.length} finding(s), ${pdf.length} bytes\n`);
        return 0;
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
      if (opts.out) {
        writeFileSync(opts.out, text);
        io.stdout(`wrote ${opts.out}: ${rows.length} event(s)\n`);
      } else io.stdout(text);
      return 0;
    }

    // checkpoint
    const cp = store.signCheckpoint();
    const text = `${JSON.stringify(cp, null, 2)}\n`;
    if (opts.out) {
      writeFileSync(opts.out, text);
      io.stdout(`signed the chain head at event ${cp.seq}; checkpoint written to ${opts.out} (keep a copy outside this machine)\n`);
    } else io.stdout(text);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`candor audit: ${err.message}\n${AUDIT_USAGE}\n`);
      return 2;
    }
    if (err instanceof CandorError && err.code !== 'internal') {
      io.stderr(`candor audit: ${err.message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string' && e.path) {
      io.stderr(`candor audit: ${e.path}: ${e.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    store?.close();
  }
}
