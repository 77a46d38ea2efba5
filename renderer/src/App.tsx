import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { METHODS, type AppInfo, type Explanation, type FramePixels, type Method, type RecordedFinding } from '../../electron/api/contract';
import { call } from './api';
import { AuditView } from './audit/AuditView';
import { ExplainCancelled, runExplainJob } from './explain/runJob';
import { FindingForm, type FindingFormHandle } from './finding/FindingForm';
import { HelpOverlay } from './help/HelpOverlay';
import { actionFor, isTypingTarget } from './help/shortcuts';
import { ColorBar } from './overlay/ColorBar';
import { MetricsTable, ShadedText } from './report/ShadedText';
import { splitSentences } from './report/text';
import { forgetScan, openScan, scanBySha, scanFrame, type OpenedScan } from './studies/scanStore';
import { entriesFrom, StudyBrowser, type StudyEntry } from './studies/StudyBrowser';
import { initialWindow, presetsFor } from './viewer/presets';
import { TagBrowser } from './viewer/TagBrowser';
import { actualSizeTransform, zoomAbout } from './viewer/transform';
import { Viewer, type Display } from './viewer/Viewer';

const METHOD_LABEL: Record<Method, string> = { nib: 'NIB', m2ib: 'M2IB', gradcam: 'Grad-CAM', rise: 'RISE', saliency: 'Saliency', ig: 'Integrated gradients' };

type JobView =
  | { state: 'idle' }
  | { state: 'running'; progress: number; stage: string; label: string }
  | { state: 'failed'; message: string }
  | { state: 'cancelled' };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [mode, setMode] = useState<'review' | 'audit'>('review');
  const [path, setPath] = useState('');
  const [current, setCurrent] = useState<OpenedScan | null>(null);
  const [studyTitle, setStudyTitle] = useState<string | null>(null);
  const [frameNo, setFrameNo] = useState(1);
  const [frame, setFrame] = useState<FramePixels | null>(null);
  const [display, setDisplay] = useState<Display | null>(null);
  const [report, setReport] = useState('');
  const [selection, setSelection] = useState<{ start: number; end: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [opened, setOpened] = useState<Map<string, OpenedScan>>(new Map());
  const [openErrors, setOpenErrors] = useState<Map<string, string>>(new Map());
  const [extraPaths, setExtraPaths] = useState<string[]>([]);

  // Explanation settings; steps 10 and layer ⌊¾·depth⌋ are the paper's defaults (the service applies the layer default).
  const [method, setMethod] = useState<Method>('nib');
  const [compareMethod, setCompareMethod] = useState<Method | ''>('');
  const [layer, setLayer] = useState('');
  const [steps, setSteps] = useState('10');
  const [target, setTarget] = useState<'both' | 'image' | 'text'>('both');
  // What the model sees of a grayscale scan: its default window (reproducible) or the one on screen.
  const [modelSees, setModelSees] = useState<'default' | 'screen'>('default');
  const [job, setJob] = useState<JobView>({ state: 'idle' });
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [comparison, setComparison] = useState<Explanation | null>(null);
  const abortRef = useRef<AbortController | null>(null);

  const [opacity, setOpacity] = useState(0.6);
  const [threshold, setThreshold] = useState(0);
  const [overlayVisible, setOverlayVisible] = useState(true);
  const [showHelp, setShowHelp] = useState(false);
  const [showTags, setShowTags] = useState(false);
  const [cine, setCine] = useState(false);
  const [recorded, setRecorded] = useState<RecordedFinding[]>([]);
  const [exportNote, setExportNote] = useState<string | null>(null);
  const findingRef = useRef<FindingFormHandle>(null);
  const reportRef = useRef<HTMLTextAreaElement>(null);

  const remember = useCallback((p: string, s: OpenedScan | null, err: string | null) => {
    if (s) setOpened((m) => new Map(m).set(p, s));
    setOpenErrors((m) => {
      const n = new Map(m);
      if (err) n.set(p, err);
      else n.delete(p);
      return n;
    });
  }, []);

  const show = useCallback((s: OpenedScan, title: string | null, reportText?: string) => {
    abortRef.current?.abort();
    setCurrent(s);
    setStudyTitle(title);
    setFrameNo(1);
    setFrame(s.frames.get(1) ?? null);
    setDisplay({ win: initialWindow(s.summary), invert: s.summary.invertedByDefault, transform: null });
    setExplanation(null);
    setComparison(null);
    setJob({ state: 'idle' });
    setCine(false);
    setSelection(null);
    if (reportText !== undefined) setReport(reportText);
  }, []);

  const open = useCallback(
    async (p: string, opts: { title?: string; report?: string; fresh?: boolean } = {}) => {
      setBusy(true);
      setError(null);
      // The path box names the scan on screen, however it was opened (box, study list, drop).
      setPath(p);
      if (opts.fresh) forgetScan(p);
      try {
        const s = await openScan(p);
        remember(p, s, null);
        if (opts.title === undefined) setExtraPaths((l) => (l.includes(p) ? l : [...l, p]));
        show(s, opts.title ?? null, opts.report);
      } catch (err) {
        remember(p, null, message(err));
        setError(message(err));
      } finally {
        setBusy(false);
      }
    },
    [remember, show],
  );

  useEffect(() => {
    call('app:info', {}).then(
      async (i) => {
        setInfo(i);
        const [first, ...rest] = i.sampleStudies;
        if (first) {
          await open(first.scanPath, { title: first.title, report: first.reportText });
        }
        // Thumbnails for the other studies, one at a time so the first study is not slowed down.
        for (const s of rest) {
          try {
            remember(s.scanPath, await openScan(s.scanPath), null);
          } catch (err) {
            remember(s.scanPath, null, message(err));
          }
        }
      },
      (err: unknown) => setError(`The main process did not answer: ${message(err)}. Restart Candor.`),
    );
  }, [open, remember]);

  // Frames of a multi-frame scan load on demand; the previous frame stays up until the next arrives.
  useEffect(() => {
    if (!current) return;
    let live = true;
    scanFrame(current, frameNo).then(
      (f) => live && setFrame(f),
      (err: unknown) => {
        if (!live) return;
        setError(`Frame ${frameNo}: ${message(err)}`);
        setCine(false);
      },
    );
    return () => {
      live = false;
    };
  }, [current, frameNo]);

  const frames = current?.summary.frames ?? 1;
  useEffect(() => {
    if (!cine || frames < 2) return;
    const t = setInterval(() => setFrameNo((n) => (n % frames) + 1), 100);
    return () => clearInterval(t);
  }, [cine, frames]);

  // Read at explain time; a dependency would rebuild the key handler on every drag step.
  const displayRef = useRef(display);
  displayRef.current = display;
  const onDisplay = useCallback((u: (d: Display) => Display) => setDisplay((d) => (d ? u(d) : d)), []);

  const textToExplain = useCallback((): string => {
    if (selection && selection.end > selection.start) return report.slice(selection.start, selection.end);
    return report;
  }, [report, selection]);

  const explain = useCallback(
    async (text?: string) => {
      if (!current) {
        setJob({ state: 'failed', message: 'Open a scan first.' });
        return;
      }
      const t = (text ?? textToExplain()).trim();
      if (!t) {
        setJob({ state: 'failed', message: 'The report text is empty: type or load a report, then select a sentence or phrase.' });
        return;
      }
      const stepsN = Number(steps);
      const layerN = layer.trim() === '' ? undefined : Number(layer);
      if (!Number.isInteger(stepsN) || stepsN < 1 || stepsN > 200) {
        setJob({ state: 'failed', message: `Steps must be a whole number from 1 to 200, not “${steps}”.` });
        return;
      }
      if (layerN !== undefined && (!Number.isInteger(layerN) || layerN < 0)) {
        setJob({ state: 'failed', message: `Layer must be a whole number (0 = first layer), or empty for ⌊¾·depth⌋; not “${layer}”.` });
        return;
      }
      abortRef.current?.abort();
      const ctrl = new AbortController();
      abortRef.current = ctrl;
      const methods: Method[] = compareMethod && compareMethod !== method ? [method, compareMethod] : [method];
      const results: Explanation[] = [];
      try {
        for (const [k, m] of methods.entries()) {
          const label = methods.length > 1 ? `${METHOD_LABEL[m]} (${k + 1} of ${methods.length})` : METHOD_LABEL[m];
          setJob({ state: 'running', progress: 0, stage: 'starting', label });
          const e = await runExplainJob(
            {
              scanId: current.summary.id, frame: frameNo, text: t, method: m, steps: stepsN, layer: layerN, target,
              window:
                modelSees === 'screen' && displayRef.current && current.summary.channels === 1
                  ? { center: displayRef.current.win.center, width: Math.max(1, displayRef.current.win.width) }
                  : undefined,
            },
            (progress, stage) => !ctrl.signal.aborted && setJob({ state: 'running', progress, stage, label }),
            ctrl.signal,
          );
          results.push(e);
          if (k === 0) {
            setExplanation(e);
            setComparison(null);
            setOverlayVisible(true);
          } else setComparison(e);
        }
        setJob({ state: 'idle' });
      } catch (err) {
        if (abortRef.current !== ctrl && ctrl.signal.aborted) return; // superseded by a newer request
        setJob(err instanceof ExplainCancelled || ctrl.signal.aborted ? { state: 'cancelled' } : { state: 'failed', message: message(err) });
      }
    },
    [current, textToExplain, steps, layer, compareMethod, method, frameNo, target, modelSees],
  );

  const cancel = useCallback(() => {
    if (abortRef.current && job.state === 'running') {
      abortRef.current.abort();
      setJob({ state: 'cancelled' });
    }
  }, [job.state]);

  const exportLatest = async () => {
    if (recorded.length === 0) return;
    try {
      const res = await call('report:pdf', { findingIds: recorded.map((f) => f.findingId) });
      setExportNote(`PDF written: ${res.path} (${Math.round(res.bytes / 1024)} KiB)`);
    } catch (err) {
      setExportNote(`PDF not written: ${message(err)}`);
    }
  };

  const presets = useMemo(() => (current ? presetsFor(current.summary) : []), [current]);

  // The selected phrase to explain. React's onSelect misses selections set by code or by some
  // input methods, so the textarea's own select / selectionchange events are read as well.
  const readSelection = useCallback(() => {
    const t = reportRef.current;
    if (!t) return;
    setSelection(t.selectionEnd > t.selectionStart ? { start: t.selectionStart, end: t.selectionEnd } : null);
  }, []);
  useEffect(() => {
    const t = reportRef.current;
    if (!t) return;
    t.addEventListener('select', readSelection);
    t.addEventListener('selectionchange', readSelection);
    return () => {
      t.removeEventListener('select', readSelection);
      t.removeEventListener('selectionchange', readSelection);
    };
  }, [readSelection, mode]);

  // Keyboard shortcuts (listed in the help overlay from the same table).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const hit = actionFor(e);
      if (!hit) return;
      if (isTypingTarget(e.target) && hit.action !== 'cancel' && hit.action !== 'recordFinding') return;
      const stage = document.querySelector('[data-testid="viewer-stage"]')?.getBoundingClientRect();
      const cx = stage ? stage.width / 2 : 0, cy = stage ? stage.height / 2 : 0;
      switch (hit.action) {
        case 'preset': {
          const p = presets.find((x) => x.key === hit.preset);
          if (p) onDisplay((d) => ({ ...d, win: { center: p.center, width: p.width } }));
          break;
        }
        case 'invert': onDisplay((d) => ({ ...d, invert: !d.invert })); break;
        case 'reset':
          if (current) onDisplay(() => ({ win: initialWindow(current.summary), invert: current.summary.invertedByDefault, transform: null }));
          break;
        case 'fit': onDisplay((d) => ({ ...d, transform: null })); break;
        case 'actualSize': onDisplay((d) => (d.transform ? { ...d, transform: actualSizeTransform(d.transform, cx * 2, cy * 2) } : d)); break;
        case 'zoomIn': onDisplay((d) => (d.transform ? { ...d, transform: zoomAbout(d.transform, e.key === '-' ? 1 / 1.25 : 1.25, cx, cy) } : d)); break;
        case 'zoomOut': onDisplay((d) => (d.transform ? { ...d, transform: zoomAbout(d.transform, 1 / 1.25, cx, cy) } : d)); break;
        case 'toggleOverlay': setOverlayVisible((v) => !v); break;
        case 'opacityUp': setOpacity((o) => Math.min(1, +(o + 0.1).toFixed(2))); break;
        case 'opacityDown': setOpacity((o) => Math.max(0, +(o - 0.1).toFixed(2))); break;
        case 'thresholdUp': setThreshold((o) => Math.min(0.95, +(o + 0.05).toFixed(2))); break;
        case 'thresholdDown': setThreshold((o) => Math.max(0, +(o - 0.05).toFixed(2))); break;
        case 'explain': void explain(); break;
        case 'cancel':
          if (showHelp || showTags) {
            setShowHelp(false);
            setShowTags(false);
          } else cancel();
          break;
        case 'cine': setCine((c) => !c); break;
        case 'nextFrame': setFrameNo((n) => Math.min(frames, n + 1)); break;
        case 'prevFrame': setFrameNo((n) => Math.max(1, n - 1)); break;
        case 'tags': if (current) setShowTags((v) => !v); break;
        case 'compare': setCompareMethod((c) => (c ? '' : method === 'm2ib' ? 'nib' : 'm2ib')); break;
        case 'audit': setMode((m) => (m === 'review' ? 'audit' : 'review')); break;
        case 'recordFinding': findingRef.current?.record(); break;
        case 'help': setShowHelp((v) => !v); break;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [presets, onDisplay, current, explain, cancel, showHelp, showTags, frames, method]);

  const overlay = useMemo(
    () => (explanation?.image ? { map: explanation.image.map, opacity, threshold, visible: overlayVisible } : null),
    [explanation, opacity, threshold, overlayVisible],
  );
  const compareOverlay = useMemo(
    () => (comparison?.image ? { map: comparison.image.map, opacity, threshold, visible: overlayVisible } : null),
    [comparison, opacity, threshold, overlayVisible],
  );

  const findScan = useCallback(
    async (sha: string): Promise<OpenedScan | null> => {
      const known = scanBySha(sha);
      if (known) return known;
      for (const s of info?.sampleStudies ?? []) {
        try {
          const o = await openScan(s.scanPath);
          if (o.summary.sha256 === sha) return o;
        } catch {
          // A sample that no longer opens cannot be the recorded scan; try the next.
        }
      }
      return null;
    },
    [info],
  );

  const entries: StudyEntry[] = useMemo(
    () => entriesFrom(info?.sampleStudies ?? [], opened, openErrors, extraPaths),
    [info, opened, openErrors, extraPaths],
  );
  const sentences = useMemo(() => splitSentences(report), [report]);
  const studyLabel = current ? (studyTitle ? `${studyTitle} · ${current.summary.fileName}` : current.summary.fileName) : '';

  const choose = async () => {
    try {
      const { path: chosen } = await call('scan:choose', {});
      if (chosen) {
        setPath(chosen);
        await open(chosen, { fresh: true });
      }
    } catch (err) {
      setError(message(err));
    }
  };

  const scan = current?.summary ?? null;
  return (
    <div className="app">
      <header className="toolbar">
        <strong>Candor</strong>
        <span className="muted model-info" data-testid="model-info" title={info?.model?.dir ?? info?.modelError ?? ''}>
          {info?.model ? `model ${info.model.name} · ${info.model.sha256.slice(0, 12)}` : (info?.modelError ? `no model: ${info.modelError}` : 'loading…')}
        </span>
        <span className="badge" data-testid="provider" title="Where the model runs">
          {info ? `provider: ${(explanation?.provider ?? info.provider).toUpperCase()}` : ''}
        </span>
        <div className="mode-switch">
          <button className={mode === 'review' ? 'active' : ''} data-testid="review-tab" onClick={() => setMode('review')}>Review</button>
          <button className={mode === 'audit' ? 'active' : ''} data-testid="audit-tab" onClick={() => setMode('audit')}>Audit log (A)</button>
        </div>
        <button data-testid="toolbar-export" disabled={recorded.length === 0} onClick={() => void exportLatest()} title={recorded.length ? 'Export the findings recorded in this session to PDF' : 'Record a finding first'}>
          Export PDF{recorded.length ? ` (${recorded.length})` : ''}
        </button>
        <form
          className="open-form"
          onSubmit={(e) => {
            e.preventDefault();
            void open(path, { fresh: true });
          }}
        >
          <input aria-label="Scan path" data-testid="path-input" value={path} placeholder="/path/to/scan.dcm or .png" onChange={(e) => setPath(e.target.value)} />
          <button type="submit" data-testid="open-button" disabled={busy}>Open</button>
          {window.candor ? <button type="button" onClick={() => void choose()}>Browse…</button> : null}
        </form>
        <button onClick={() => setShowHelp(true)} title="Keyboard shortcuts (?)" data-testid="help-button">?</button>
      </header>
      {error ? (
        <div className="error" role="alert" data-testid="error">
          {error}
          <button className="dismiss" onClick={() => setError(null)} aria-label="Dismiss">×</button>
        </div>
      ) : null}
      {exportNote ? <div className="ok bar" data-testid="toolbar-export-result">{exportNote}</div> : null}
      {mode === 'audit' ? (
        <AuditView findScan={findScan} />
      ) : (
        <main className="workspace">
          <StudyBrowser entries={entries} currentPath={current?.path ?? null} onOpen={(e) => void open(e.path, { title: e.report !== null ? e.title : undefined, report: e.report ?? undefined })} />
          <section className="center">
            {scan && frame && display ? (
              <>
                <div className="scan-title" data-testid="scan-title">
                  {studyTitle ? `${studyTitle} — ` : ''}{scan.fileName} · {scan.width}×{scan.height} · {scan.format.toUpperCase()}
                  {scan.modality ? ` · ${scan.modality}` : ''}
                </div>
                <div className="viewer-bar">
                  {presets.map((p) => (
                    <button key={p.name + p.key} data-testid="preset" onClick={() => onDisplay((d) => ({ ...d, win: { center: p.center, width: p.width } }))} title={`C ${p.center} W ${p.width}${p.key ? ` (key ${p.key})` : ''}`}>
                      {p.key ? <kbd>{p.key}</kbd> : null} {p.name}
                    </button>
                  ))}
                  <button data-testid="invert" onClick={() => onDisplay((d) => ({ ...d, invert: !d.invert }))}>Invert (I)</button>
                  <button data-testid="fit" onClick={() => onDisplay((d) => ({ ...d, transform: null }))}>Fit (F)</button>
                  <button data-testid="actual-size" onClick={() => {
                    const r = document.querySelector('[data-testid="viewer-stage"]')?.getBoundingClientRect();
                    onDisplay((d) => (d.transform && r ? { ...d, transform: actualSizeTransform(d.transform, r.width, r.height) } : d));
                  }}>1:1 (Z)</button>
                  <button data-testid="reset" onClick={() => onDisplay(() => ({ win: initialWindow(scan), invert: scan.invertedByDefault, transform: null }))}>Reset (R)</button>
                  <button data-testid="tags-button" onClick={() => setShowTags(true)}>Tags (T)</button>
                  {frames > 1 ? (
                    <span className="cine" data-testid="cine">
                      <button data-testid="cine-play" onClick={() => setCine((c) => !c)}>{cine ? 'Pause' : 'Play'} (Space)</button>
                      <input type="range" min={1} max={frames} value={frameNo} data-testid="frame-slider" aria-label="Frame" onChange={(e) => setFrameNo(Number(e.target.value))} />
                      <span data-testid="frame-number">{frameNo} / {frames}</span>
                    </span>
                  ) : null}
                </div>
                {explanation ? (
                  <div className="viewer-bar overlay-controls">
                    <label className="small">
                      <input type="checkbox" data-testid="overlay-toggle" checked={overlayVisible} onChange={(e) => setOverlayVisible(e.target.checked)} /> overlay (O)
                    </label>
                    <label className="small">opacity <input type="range" min={0} max={1} step={0.05} value={opacity} data-testid="opacity" onChange={(e) => setOpacity(Number(e.target.value))} /> {Math.round(opacity * 100)}%</label>
                    <label className="small">threshold <input type="range" min={0} max={0.95} step={0.05} value={threshold} data-testid="threshold" onChange={(e) => setThreshold(Number(e.target.value))} /> {threshold.toFixed(2)}</label>
                    <ColorBar threshold={threshold} label="attribution" />
                  </div>
                ) : null}
                <div className={comparison ? 'viewers two' : 'viewers'}>
                  <Viewer scan={scan} frame={frame} display={display} onDisplay={onDisplay} overlay={overlay} label={explanation ? METHOD_LABEL[explanation.method] : undefined} />
                  {comparison ? (
                    <Viewer scan={scan} frame={frame} display={display} onDisplay={onDisplay} overlay={compareOverlay} label={METHOD_LABEL[comparison.method]} idPrefix="compare-" />
                  ) : null}
                </div>
              </>
            ) : (
              <div className="placeholder">{busy ? 'Opening…' : 'Open a scan to begin: type its path above or pick a study on the left.'}</div>
            )}
          </section>
          <aside className="side">
            <section className="panel-section">
              <h3>Report</h3>
              <textarea
                ref={reportRef}
                aria-label="Report text"
                data-testid="report-text"
                value={report}
                rows={7}
                onChange={(e) => {
                  setReport(e.target.value);
                  setSelection(null);
                }}
                onSelect={readSelection}
                onKeyUp={readSelection}
                onMouseUp={readSelection}
              />
              <div className="sentences" data-testid="sentences">
                {sentences.map((s) => (
                  <button key={s.start} className="sentence" data-testid="sentence" title="Explain this sentence" disabled={job.state === 'running'} onClick={() => void explain(s.text)}>
                    {s.text}
                  </button>
                ))}
              </div>
            </section>
            <section className="panel-section" data-testid="explain-panel">
              <h3>Explain</h3>
              <div className="explain-settings">
                <label className="field">method
                  <select data-testid="explain-method" value={method} onChange={(e) => setMethod(e.target.value as Method)}>
                    {METHODS.map((m) => <option key={m} value={m}>{METHOD_LABEL[m]}</option>)}
                  </select>
                </label>
                <label className="field">compare with
                  <select data-testid="compare-method" value={compareMethod} onChange={(e) => setCompareMethod(e.target.value as Method | '')}>
                    <option value="">— none —</option>
                    {METHODS.filter((m) => m !== method).map((m) => <option key={m} value={m}>{METHOD_LABEL[m]}</option>)}
                  </select>
                </label>
                <label className="field">layer
                  <input data-testid="explain-layer" value={layer} placeholder="⌊¾·depth⌋" onChange={(e) => setLayer(e.target.value)} size={6} />
                </label>
                <label className="field">steps
                  <input data-testid="explain-steps" value={steps} onChange={(e) => setSteps(e.target.value)} size={4} />
                </label>
                <label className="field">target
                  <select data-testid="explain-target" value={target} onChange={(e) => setTarget(e.target.value as 'both' | 'image' | 'text')}>
                    <option value="both">image + text</option>
                    <option value="image">image</option>
                    <option value="text">text</option>
                  </select>
                </label>
                <label className="field" title="The VOI window applied to a grayscale scan before the model sees it">model sees
                  <select data-testid="explain-window" value={modelSees} onChange={(e) => setModelSees(e.target.value as 'default' | 'screen')}>
                    <option value="default">the scan’s default window</option>
                    <option value="screen">the window on screen</option>
                  </select>
                </label>
              </div>
              <div className="explain-actions">
                <button data-testid="explain-button" disabled={job.state === 'running' || !current} onClick={() => void explain()}>
                  {selection ? 'Explain selection (E)' : 'Explain report (E)'}
                </button>
                {job.state === 'running' ? (
                  <button data-testid="explain-cancel" onClick={cancel}>Cancel (Esc)</button>
                ) : null}
              </div>
              {job.state === 'running' ? (
                <div className="progress" data-testid="explain-progress">
                  <progress max={1} value={job.progress} />
                  <span className="small">{job.label}: {job.stage} · {Math.round(job.progress * 100)}%</span>
                </div>
              ) : null}
              {job.state === 'failed' ? (
                <div className="inline-error" role="alert" data-testid="explain-error">
                  Explanation failed: {job.message.trim()}
                  {/[.!?]$/.test(job.message.trim()) ? ' ' : '. '}
                  The scan and the report are unchanged; adjust the settings or the text and try again.
                </div>
              ) : null}
              {job.state === 'cancelled' ? <div className="muted" data-testid="explain-cancelled">Explanation cancelled.</div> : null}
              {explanation ? (
                <>
                  <ShadedText explanation={explanation} />
                  <MetricsTable explanation={explanation} />
                </>
              ) : null}
              {comparison ? (
                <details open>
                  <summary>{METHOD_LABEL[comparison.method]} (comparison)</summary>
                  <ShadedText explanation={comparison} idPrefix="compare-" />
                  <MetricsTable explanation={comparison} idPrefix="compare-" />
                </details>
              ) : null}
            </section>
            <FindingForm ref={findingRef} explanation={explanation} studyLabel={studyLabel} onRecorded={(f) => setRecorded((l) => [...l, f])} />
          </aside>
        </main>
      )}
      {showHelp ? <HelpOverlay onClose={() => setShowHelp(false)} /> : null}
      {showTags && scan ? <TagBrowser scan={scan} onClose={() => setShowTags(false)} /> : null}
    </div>
  );
}
