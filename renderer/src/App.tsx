import { useCallback, useEffect, useRef, useState } from 'react';
import { bindActions } from './actions/bindings';
import { useShortcuts } from './actions/useShortcuts';
import { AuditView } from './audit/AuditView';
import { ExplainPanel } from './explain/ExplainPanel';
import { explainRequests } from './explain/requests';
import { DEFAULT_SETTINGS, settingsKey, type SettingsInput } from './explain/settings';
import { useExplainJob } from './explain/useExplainJob';
import { usePrepareGraphs } from './explain/usePrepareGraphs';
import { FindingForm, type FindingFormHandle } from './finding/FindingForm';
import { useSessionFindings } from './finding/useSessionFindings';
import { HelpOverlay } from './help/HelpOverlay';
import { PacsPanel } from './pacs/PacsPanel';
import { useRegion } from './region/useRegion';
import { studyTitle } from './pacs/settings';
import { usePacs } from './pacs/usePacs';
import { ReportPanel } from './report/ReportPanel';
import { useAppInfo } from './session/useAppInfo';
import { exportNoteClass } from './session/useReportExport';
import { useReports } from './session/useReports';
import { useScanSession, type OpenOptions } from './session/useScanSession';
import type { OpenedScan } from './studies/scanStore';
import { StudyBrowser } from './studies/StudyBrowser';
import { Toolbar } from './toolbar/Toolbar';
import { TagBrowser } from './viewer/TagBrowser';
import { useOverlayStyle } from './viewer/useOverlayStyle';
import { ViewerArea } from './viewer/ViewerArea';

/** Instances of a pulled study shown in the study list (the main process keeps 32 scans open). */
const LISTED_PER_STUDY = 32;

/** The review workspace: studies on the left, the scan in the middle, report, explanation and finding on the right. */
export function App() {
  const app = useAppInfo();
  const samples = app.info?.sampleStudies ?? null;
  const [mode, setMode] = useState<'review' | 'audit'>('review');
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'help' | 'tags' | 'pacs' | null>(null);
  const [smooth, setSmooth] = useState(true);
  const [settings, setSettings] = useState<SettingsInput>(DEFAULT_SETTINGS);
  usePrepareGraphs(settings, !!app.info?.model);
  const stageRef = useRef<HTMLDivElement>(null);
  const findingRef = useRef<FindingFormHandle>(null);
  const focusViewer = useRef(false);

  const reports = useReports(samples);
  const job = useExplainJob(app.onExplainFailure);
  const style = useOverlayStyle();
  const findings = useSessionFindings();
  const { showFor } = reports;
  const { clear } = job;
  // A scan on screen brings its own report and no explanation of another scan's.
  const onShow = useCallback((s: OpenedScan, opts: OpenOptions) => {
    showFor(s.path);
    clear();
    if (opts.focus) focusViewer.current = true;
  }, [showFor, clear]);
  const session = useScanSession(samples, onShow, setError);
  const scan = session.current?.summary ?? null;
  const { explanation, comparison } = job.state;
  const { open: openScan, addToList } = session;
  const region = useRegion([explanation, comparison], session.current?.path ?? null);
  // A pulled study opens like any scan: its first instance on screen, the next ones listed under its title
  // (as many as the main process keeps open; the whole study stays in the cache folder).
  const pacs = usePacs(useCallback((pulled, match) => {
    const [first, ...rest] = pulled.files;
    if (!first) return;
    setDialog(null);
    void openScan(first, { fresh: true, focus: true, listAs: studyTitle(match) }).then(() => addToList(rest.slice(0, LISTED_PER_STUDY - 1), studyTitle(match)));
  }, [openScan, addToList]));

  // After an Open the keys belong to the viewer, not to the path box or the study list.
  useEffect(() => {
    if (!focusViewer.current || !stageRef.current) return;
    focusViewer.current = false;
    stageRef.current.focus({ preventScroll: true });
  });

  const explain = (text?: string, allSentences = false) => {
    const r = explainRequests({ scan, frame: session.frameNo, text: text ?? (allSentences ? reports.text : reports.toExplain()), settings, screenWindow: session.display?.win ?? null, allSentences });
    if (!r.ok) return job.fail('bad-input', r.message);
    style.setVisible(true);
    void job.run(r.requests, settingsKey(settings));
  };
  // A changed setting makes an old failure moot; the result stays, marked as made with other settings.
  const onSettings = (patch: Partial<SettingsInput>) => {
    setSettings((s) => ({ ...s, ...patch }));
    job.dismiss();
  };

  const actions = bindActions({
    scan,
    presets: session.presets,
    onDisplay: session.onDisplay,
    stageSize: () => {
      const r = stageRef.current?.getBoundingClientRect();
      return r ? { width: r.width, height: r.height } : null;
    },
    interpolation: { smooth, toggle: () => setSmooth((v) => !v) },
    frames: { count: session.frames, step: session.step, cine: session.cine, toggleCine: () => session.setCine((c) => !c) },
    overlay: { present: explanation !== null, toggle: style.toggle, opacity: style.bumpOpacity, threshold: style.bumpThreshold },
    explain: {
      ready: scan !== null,
      running: job.running,
      selection: reports.selection !== null,
      run: () => explain(),
      runAll: () => explain(undefined, true),
      cancel: job.cancel,
      toggleCompare: () => onSettings({ compare: settings.compare ? '' : settings.method === 'm2ib' ? 'nib' : 'm2ib' }),
    },
    finding: { record: () => findingRef.current?.record(), recorded: findings.recorded.length, exportPdf: () => void findings.exportPdf() },
    region: { tool: region.tool, present: region.region !== null, cycle: region.cycleTool, clear: region.clear },
    toggleAudit: () => setMode((m) => (m === 'review' ? 'audit' : 'review')),
    showDialog: (which) => (which !== 'tags' || scan ? setDialog(which) : undefined),
  });
  useShortcuts(actions);

  const studyLabel = scan ? (session.studyTitle ? `${session.studyTitle} · ${scan.fileName}` : scan.fileName) : '';
  const shownError = error ?? app.startError;
  return (
    <div className="app">
      <Toolbar
        info={app.info}
        modelProblem={app.modelProblem}
        provider={app.info ? (explanation?.provider ?? app.info.provider) : null}
        mode={mode}
        setMode={setMode}
        actions={actions}
        path={session.path}
        setPath={session.setPath}
        busy={session.busy}
        onOpen={() => void session.open(session.path, { fresh: true, focus: true })}
        onBrowse={window.candor ? () => void session.choose() : null}
      />
      {shownError ? (
        <div className="error" role="alert" data-testid="error">
          {shownError}
          <button className="dismiss" onClick={() => setError(null)} aria-label="Dismiss">×</button>
        </div>
      ) : null}
      {findings.exportNote ? <div className={exportNoteClass(findings.exportNote, true)} role="status" data-testid="toolbar-export-result">{findings.exportNote.text}</div> : null}
      {mode === 'audit' ? (
        <AuditView findScan={session.findScan} />
      ) : (
        <main className="workspace">
          <StudyBrowser entries={session.entries} currentPath={session.current?.path ?? null} onOpen={(e) => void session.open(e.path, { title: e.report !== null ? e.title : undefined, focus: true })} />
          <section className="center">
            <ViewerArea session={session} actions={actions} style={style} explanation={explanation} comparison={comparison} smooth={smooth} stageRef={stageRef} region={region} />
          </section>
          <aside className="side">
            <div className="side-scroll">
              <ReportPanel reports={reports} hasScan={scan !== null} running={job.running} onExplain={explain} />
              <ExplainPanel settings={settings} onSettings={onSettings} settingsKey={settingsKey(settings)} job={job.state} actions={actions} onShowSentence={job.show} />
            </div>
            <FindingForm ref={findingRef} explanation={explanation} scanKey={session.current?.path ?? null} studyLabel={studyLabel} region={region.region} onRecorded={findings.add} />
          </aside>
        </main>
      )}
      {dialog === 'help' ? <HelpOverlay onClose={() => setDialog(null)} /> : null}
      {dialog === 'tags' && scan ? <TagBrowser scan={scan} onClose={() => setDialog(null)} /> : null}
      {dialog === 'pacs' ? <PacsPanel pacs={pacs} findings={findings.recorded} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
