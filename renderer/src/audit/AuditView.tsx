import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AuditRow, ChainStatus, FramePixels, RecordedFinding, ScanSummary } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';
import { drawableMap } from '../explain/attribution';
import type { OpenedScan } from '../studies/scanStore';
import { initialWindow } from '../viewer/presets';
import type { Display } from '../viewer/Viewer';
import { AuditDetail, type EntryScan } from './AuditDetail';
import { AuditFilters, NO_FILTERS, type Filters } from './AuditFilters';
import { AuditTable } from './AuditTable';

interface Props {
  findScan: (sha256: string) => Promise<OpenedScan | null>;
}

/** A stand-in when the recorded scan is not at hand: the map still redraws, over black. */
function blankScan(width: number, height: number, sha256: string): { summary: ScanSummary; frame: FramePixels } {
  const summary: ScanSummary = {
    id: 'unavailable', path: '', fileName: 'scan not available', format: 'png', width, height, frames: 1, channels: 1,
    photometric: 'MONOCHROME2', bitsStored: 8, modality: null, units: '', invertedByDefault: false,
    valueRange: { min: 0, max: 1 }, pixelPadding: null, windows: [], sha256,
    patient: { name: null, id: null, studyDate: null, studyDescription: null },
  };
  return { summary, frame: { scanId: 'unavailable', frame: 1, width, height, channels: 1, pixels: new Float32Array(width * height) } };
}

/** The auditor's view: the hash-chained log, filtered, with any finding redrawn as recorded and exported to PDF. */
export function AuditView({ findScan }: Props) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [chain, setChain] = useState<ChainStatus | null>(null);
  const [dbPath, setDbPath] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [entry, setEntry] = useState<RecordedFinding | null>(null);
  const [entryScan, setEntryScan] = useState<EntryScan | null>(null);
  const [display, setDisplay] = useState<Display | null>(null);
  const [pdf, setPdf] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [known, setKnown] = useState<{ reviewers: string[]; studies: string[] }>({ reviewers: [], studies: [] });

  const load = useCallback(async (f: Filters) => {
    try {
      const req = {
        reviewer: f.reviewer || undefined,
        study: f.study || undefined,
        method: f.method || undefined,
        search: f.search || undefined,
        from: f.from || undefined,
        to: f.to || undefined,
      };
      const [res, all] = await Promise.all([call('audit:list', req), call('audit:list', {})]);
      const distinct = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
      setKnown({ reviewers: distinct(all.rows.filter((r) => r.findingId).map((r) => r.actor)), studies: distinct(all.rows.map((r) => r.study)) });
      setRows(res.rows);
      setChain(res.chain);
      setDbPath(res.dbPath);
      setError(null);
    } catch (err) {
      setError(`The audit log could not be read: ${errorMessage(err)}`);
    }
  }, []);

  useEffect(() => {
    const t = setTimeout(() => void load(filters), 150);
    return () => clearTimeout(t);
  }, [filters, load]);

  const shown = useMemo(() => rows.filter((r) => !filters.decision || r.decision === filters.decision), [rows, filters.decision]);

  const open = async (findingId: string) => {
    setBusy(true);
    try {
      const f = await call('audit:get', { findingId });
      setEntry(f);
      setPdf(null);
      const map = drawableMap(f.explanation).map;
      const scan = await findScan(f.explanation.input.scanSha256);
      const frameNo = f.explanation.input.frame;
      const frame = scan ? (scan.frames.get(frameNo) ?? scan.frames.get(1) ?? null) : null;
      if (scan && frame) {
        setEntryScan({ summary: scan.summary, frame, found: true });
        setDisplay({ win: initialWindow(scan.summary), invert: scan.summary.invertedByDefault, transform: null });
      } else if (map) {
        const b = blankScan(map.width, map.height, f.explanation.input.scanSha256);
        setEntryScan({ ...b, found: false });
        setDisplay({ win: { center: 0.5, width: 1 }, invert: false, transform: null });
      } else setEntryScan(null);
      setError(null);
    } catch (err) {
      setError(`The entry could not be opened: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const exportPdf = async (ids: string[]) => {
    if (ids.length === 0) return;
    setBusy(true);
    try {
      const res = await call('report:pdf', { findingIds: ids });
      setPdf(`PDF written: ${res.path} (${Math.round(res.bytes / 1024)} KiB, ${ids.length} finding${ids.length > 1 ? 's' : ''})`);
      setError(null);
    } catch (err) {
      setError(`The PDF could not be written: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const verify = async () => {
    try {
      setChain(await call('audit:verify', {}));
    } catch (err) {
      setError(`The chain could not be verified: ${errorMessage(err)}`);
    }
  };

  return (
    <div className="audit" data-testid="audit-view">
      <div className="audit-head">
        <h2>Audit log</h2>
        <span className={chain ? (chain.ok ? 'chain ok' : 'chain broken') : 'chain'} data-testid="chain-status" title={dbPath}>
          {chain
            ? chain.ok
              ? `Chain verified: ${chain.events} events intact`
              : `Chain BROKEN at event ${chain.firstBroken ?? '?'}: ${chain.reason ?? 'unknown reason'}`
            : 'Chain: not checked yet'}
        </span>
        <button onClick={() => void verify()} data-testid="verify-chain">Verify again</button>
        <button data-testid="export-pdf" disabled={selected.size === 0 || busy} onClick={() => void exportPdf([...selected])} title="Export the ticked findings to one PDF">
          Export selected to PDF ({selected.size})
        </button>
      </div>
      <AuditFilters filters={filters} setFilters={setFilters} known={known} />
      {error ? <div className="inline-error" role="alert" data-testid="audit-error">{error}</div> : null}
      {pdf ? <div className="ok" data-testid="pdf-result">{pdf}</div> : null}
      <div className="audit-body">
        <AuditTable rows={shown} currentId={entry?.findingId ?? null} selected={selected} setSelected={setSelected} onOpen={(id) => void open(id)} />
        {entry ? (
          <AuditDetail entry={entry} scan={entryScan} display={display} setDisplay={setDisplay} busy={busy} onExport={(ids) => void exportPdf(ids)} />
        ) : (
          <div className="audit-detail muted">Click an entry to redraw its map and word scores exactly as recorded.</div>
        )}
      </div>
    </div>
  );
}
