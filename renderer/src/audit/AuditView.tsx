import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AuditRow, ChainStatus, FramePixels, RecordedFinding, ScanSummary } from '../../../electron/api/contract';
import { call } from '../api';
import { ColorBar } from '../overlay/ColorBar';
import { MetricsTable, ShadedText } from '../report/ShadedText';
import type { OpenedScan } from '../studies/scanStore';
import { initialWindow } from '../viewer/presets';
import { Viewer, type Display } from '../viewer/Viewer';

interface Filters {
  reviewer: string;
  study: string;
  method: string;
  search: string;
  from: string;
  to: string;
  decision: string;
}
const EMPTY: Filters = { reviewer: '', study: '', method: '', search: '', from: '', to: '', decision: '' };

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

export function AuditView({ findScan }: Props) {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [chain, setChain] = useState<ChainStatus | null>(null);
  const [dbPath, setDbPath] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [entry, setEntry] = useState<RecordedFinding | null>(null);
  const [entryScan, setEntryScan] = useState<{ summary: ScanSummary; frame: FramePixels; found: boolean } | null>(null);
  const [display, setDisplay] = useState<Display | null>(null);
  const [opacity, setOpacity] = useState(0.6);
  const [pdf, setPdf] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Reviewer and study filters match exactly in the store, so they are offered as choices.
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
      setError(`The audit log could not be read: ${err instanceof Error ? err.message : String(err)}`);
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
      const map = f.explanation.image?.map;
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
      setError(`The entry could not be opened: ${err instanceof Error ? err.message : String(err)}`);
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
      setError(`The PDF could not be written: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const verify = async () => {
    try {
      setChain(await call('audit:verify', {}));
    } catch (err) {
      setError(`The chain could not be verified: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setFilters({ ...filters, [k]: e.target.value });
  const onDisplay = useCallback((u: (d: Display) => Display) => setDisplay((d) => (d ? u(d) : d)), []);
  const overlay = useMemo(
    () => (entry?.explanation.image ? { map: entry.explanation.image.map, opacity, threshold: 0, visible: true } : null),
    [entry, opacity],
  );

  return (
    <div className="audit" data-testid="audit-view">
      <div className="audit-head">
        <h2>Audit log</h2>
        <span
          className={chain ? (chain.ok ? 'chain ok' : 'chain broken') : 'chain'}
          data-testid="chain-status"
          title={dbPath}
        >
          {chain
            ? chain.ok
              ? `Chain verified: ${chain.events} events intact`
              : `Chain BROKEN at event ${chain.firstBroken ?? '?'}: ${chain.reason ?? 'unknown reason'}`
            : 'Chain: not checked yet'}
        </span>
        <button onClick={() => void verify()} data-testid="verify-chain">Verify again</button>
        <button
          data-testid="export-pdf"
          disabled={selected.size === 0 || busy}
          onClick={() => void exportPdf([...selected])}
          title="Export the ticked findings to one PDF"
        >
          Export selected to PDF ({selected.size})
        </button>
      </div>
      <div className="filters">
        <input data-testid="audit-search" placeholder="Search notes, reviewers, studies…" value={filters.search} onChange={set('search')} />
        <select data-testid="audit-reviewer" value={filters.reviewer} onChange={set('reviewer')} aria-label="Reviewer">
          <option value="">any reviewer</option>
          {known.reviewers.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <select data-testid="audit-study" value={filters.study} onChange={set('study')} aria-label="Study">
          <option value="">any study</option>
          {known.studies.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <select data-testid="audit-method" value={filters.method} onChange={set('method')} aria-label="Method">
          <option value="">any method</option>
          {['nib', 'm2ib', 'gradcam', 'rise', 'saliency', 'ig'].map((m) => (
            <option key={m} value={m}>{m.toUpperCase()}</option>
          ))}
        </select>
        <select data-testid="audit-decision" value={filters.decision} onChange={set('decision')} aria-label="Decision">
          <option value="">any decision</option>
          <option value="agree">agree</option>
          <option value="disagree">disagree</option>
          <option value="uncertain">uncertain</option>
        </select>
        <label className="small">from <input type="date" data-testid="audit-from" value={filters.from} onChange={set('from')} /></label>
        <label className="small">to <input type="date" data-testid="audit-to" value={filters.to} onChange={set('to')} /></label>
        <button onClick={() => setFilters(EMPTY)}>Clear</button>
      </div>
      {error ? <div className="inline-error" role="alert" data-testid="audit-error">{error}</div> : null}
      {pdf ? <div className="ok" data-testid="pdf-result">{pdf}</div> : null}
      <div className="audit-body">
        <div className="audit-table-wrap">
          <table className="audit-table" data-testid="audit-table">
            <thead>
              <tr>
                <th></th><th>#</th><th>Time</th><th>Reviewer</th><th>Study</th><th>Model</th><th>Method</th><th>Similarity</th><th>Decision</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr
                  key={r.seq}
                  data-testid="audit-row"
                  className={entry && entry.findingId === r.findingId ? 'current' : ''}
                  onClick={() => r.findingId && void open(r.findingId)}
                >
                  <td onClick={(e) => e.stopPropagation()}>
                    {r.findingId ? (
                      <input
                        type="checkbox"
                        data-testid="audit-select"
                        aria-label={`Select entry ${r.seq}`}
                        checked={selected.has(r.findingId)}
                        onChange={(e) => {
                          const next = new Set(selected);
                          if (e.target.checked) next.add(r.findingId!);
                          else next.delete(r.findingId!);
                          setSelected(next);
                        }}
                      />
                    ) : null}
                  </td>
                  <td>{r.seq}</td>
                  <td className="nowrap">{r.time.replace('T', ' ').slice(0, 19)}</td>
                  <td>{r.actor}</td>
                  <td>{r.study ?? '—'}</td>
                  <td className="nowrap" title={r.modelSha256 ?? ''}>{r.model ? `${r.model} · ${(r.modelSha256 ?? '').slice(0, 8)}` : '—'}</td>
                  <td>{r.method?.toUpperCase() ?? r.action}</td>
                  <td>{r.similarity !== null ? r.similarity.toFixed(3) : '—'}</td>
                  <td>{r.decision ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 ? <p className="muted">No entries match.</p> : null}
        </div>
        {entry ? (
          <div className="audit-detail" data-testid="audit-detail">
            <div className="audit-detail-head">
              <strong>Entry #{entry.seq}</strong> · {entry.reviewer} · <span data-testid="audit-decision-shown">{entry.decision}</span> ·{' '}
              {entry.explanation.method.toUpperCase()} · {entry.time.replace('T', ' ').slice(0, 19)}
              <button onClick={() => void exportPdf([entry.findingId])} data-testid="export-entry-pdf" disabled={busy}>
                Export this entry to PDF
              </button>
            </div>
            {entry.note ? <p className="note" data-testid="audit-note">“{entry.note}”</p> : null}
            {entryScan && display ? (
              <div className="audit-viewer">
                {!entryScan.found ? (
                  <div className="viewer-warning" data-testid="audit-scan-missing">
                    The scan (SHA-256 {entry.explanation.input.scanSha256.slice(0, 16)}…) is not open; the recorded map is drawn over black.
                    Open the file in the review workspace to see it underneath.
                  </div>
                ) : null}
                <Viewer scan={entryScan.summary} frame={entryScan.frame} display={display} onDisplay={onDisplay} overlay={overlay} idPrefix="audit-" label={`${entry.explanation.method.toUpperCase()} as recorded`} />
                <div className="overlay-controls">
                  <ColorBar label="attribution" testId="audit-colorbar" />
                  <label className="small">opacity <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(e) => setOpacity(Number(e.target.value))} /></label>
                </div>
              </div>
            ) : (
              <p className="muted">This explanation has no image map.</p>
            )}
            <ShadedText explanation={entry.explanation} idPrefix="audit-" />
            <MetricsTable explanation={entry.explanation} idPrefix="audit-" />
          </div>
        ) : (
          <div className="audit-detail muted">Click an entry to redraw its map and word scores exactly as recorded.</div>
        )}
      </div>
    </div>
  );
}
