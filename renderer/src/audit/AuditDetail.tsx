import { useCallback, useMemo, useState } from 'react';
import { formatTime, methodLabel, type FramePixels, type RecordedFinding, type ScanSummary } from '../../../electron/api/contract';
import { drawableMap } from '../explain/attribution';
import { SanityResult, sanityBadge } from '../explain/SanityResult';
import { ColorBar } from '../overlay/ColorBar';
import { MetricsTable, ShadedText, Warnings } from '../report/ShadedText';
import { Viewer, type Display } from '../viewer/Viewer';
import { integrityText, rowIntegrity, type Evidence } from './integrity';
import { Provenance } from './Provenance';
import { RecordedRegion } from '../region/RegionFigures';
import { ReplayPanel } from './ReplayPanel';
import { useReplay } from './useReplay';

export interface EntryScan {
  summary: ScanSummary;
  frame: FramePixels;
  /** False when the recorded scan is not at hand and the map is drawn over black. */
  found: boolean;
}

interface Props {
  entry: RecordedFinding;
  evidence: Evidence | null;
  scan: EntryScan | null;
  display: Display | null;
  setDisplay: (u: (d: Display | null) => Display | null) => void;
  busy: boolean;
  onExport: (findings: { findingId: string; seq: number }[]) => void;
}

/** One recorded finding, redrawn exactly as recorded: its map over the scan, its word scores, its metrics, its hashes. */
export function AuditDetail({ entry, evidence, scan, display, setDisplay, busy, onExport }: Props) {
  const [opacity, setOpacity] = useState(0.6);
  const e = entry.explanation;
  const onDisplay = useCallback((u: (d: Display) => Display) => setDisplay((d) => (d ? u(d) : d)), [setDisplay]);
  const overlay = useMemo(() => {
    const map = drawableMap(entry.explanation).map;
    return map ? { map, opacity, threshold: 0, visible: true } : null;
  }, [entry, opacity]);
  const integrity = rowIntegrity(entry.seq, evidence);
  const replay = useReplay(entry.findingId);
  return (
    <div className="audit-detail" data-testid="audit-detail">
      <div className="audit-detail-head">
        <strong>Entry #{entry.seq}</strong> · {entry.reviewer} · <span data-testid="audit-decision-shown">{entry.decision}</span> ·{' '}
        {methodLabel(e.method)} · <span data-testid="audit-time">{formatTime(entry.time)}</span>
        <span className="audit-detail-actions">
          <button onClick={() => void replay.replay()} data-testid="replay-entry" disabled={replay.busy} title="Run this explanation again with the configured model on the recorded scan and compare it with the record">
            {replay.busy ? 'Replaying…' : 'Replay'}
          </button>
          <button onClick={() => onExport([{ findingId: entry.findingId, seq: entry.seq }])} data-testid="export-entry-pdf" disabled={busy}>
            Export this entry to PDF
          </button>
        </span>
      </div>
      {integrity === 'broken' || integrity === 'unverifiable' || integrity === 'uncovered' ? (
        <div className={integrity === 'uncovered' ? 'warning-box' : 'inline-error'} role="status" data-testid="audit-entry-integrity">{integrityText(entry.seq, evidence)}</div>
      ) : null}
      <ReplayPanel replay={replay} scanOpen={scan?.found ? scan.summary.fileName : null} />
      {entry.note ? <p className="note" data-testid="audit-note">“{entry.note}”</p> : null}
      {scan && display ? (
        <div className="audit-viewer">
          {!scan.found ? (
            <div className="viewer-warning" data-testid="audit-scan-missing">
              The scan (SHA-256 {e.input.scanSha256.slice(0, 16)}…) is not open; the recorded map is drawn over black.
              Open the file in the review workspace to see it underneath.
            </div>
          ) : null}
          <Viewer scan={scan.summary} frame={scan.frame} display={display} onDisplay={onDisplay} overlay={overlay} idPrefix="audit-" label={`${methodLabel(e.method)} as recorded`} region={entry.region?.region ?? null} badge={sanityBadge(e)} />
          <div className="overlay-controls">
            <ColorBar label="attribution" testId="audit-colorbar" />
            <label className="small">opacity <input type="range" min={0} max={1} step={0.05} value={opacity} onChange={(ev) => setOpacity(Number(ev.target.value))} /></label>
          </div>
        </div>
      ) : (
        <p className="muted">This explanation has no image map.</p>
      )}
      <RecordedRegion region={entry.region ?? null} idPrefix="audit-" />
      <Warnings explanation={e} idPrefix="audit-" />
      <SanityResult explanation={e} idPrefix="audit-" />
      <ShadedText explanation={e} idPrefix="audit-" />
      <MetricsTable explanation={e} idPrefix="audit-" />
      <Provenance entry={entry} />
    </div>
  );
}
