import { useCallback, useEffect, useState } from 'react';
import type { AppInfo, FramePixels, ScanSummary } from '../../electron/api/contract';
import { call } from './api';
import { Viewer } from './viewer/Viewer';

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [path, setPath] = useState('');
  const [scan, setScan] = useState<ScanSummary | null>(null);
  const [frame, setFrame] = useState<FramePixels | null>(null);
  const [report, setReport] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const open = useCallback(async (p: string, reportText?: string) => {
    setBusy(true);
    setError(null);
    try {
      const summary = await call('scan:open', { path: p });
      const pixels = await call('scan:frame', { scanId: summary.id, frame: 1 });
      setScan(summary);
      setFrame(pixels);
      if (reportText !== undefined) setReport(reportText);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    call('app:info', {}).then(
      (i) => {
        setInfo(i);
        const first = i.sampleStudies[0];
        if (first) {
          setPath(first.scanPath);
          void open(first.scanPath, first.reportText);
        }
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [open]);

  const choose = async () => {
    try {
      const { path: chosen } = await call('scan:choose', {});
      if (chosen) {
        setPath(chosen);
        await open(chosen);
      }
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <div className="app">
      <header className="toolbar">
        <strong>Candor</strong>
        <span className="muted" data-testid="model-info">
          {info?.model ? `${info.model.name} · ${info.model.sha256.slice(0, 12)}` : (info?.modelError ?? 'loading…')}
        </span>
        <span className="muted" data-testid="provider">{info ? `provider: ${info.provider}` : ''}</span>
        <form
          className="open-form"
          onSubmit={(e) => {
            e.preventDefault();
            void open(path);
          }}
        >
          <input
            aria-label="Scan path"
            data-testid="path-input"
            value={path}
            placeholder="/path/to/scan.dcm or .png"
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" data-testid="open-button" disabled={busy}>
            Open
          </button>
          {window.candor ? (
            <button type="button" onClick={() => void choose()}>
              Browse…
            </button>
          ) : null}
        </form>
      </header>
      {error ? (
        <div className="error" role="alert" data-testid="error">
          {error}
        </div>
      ) : null}
      <main className="workspace">
        <aside className="studies">
          <h3>Studies</h3>
          {info?.sampleStudies.map((s) => (
            <button key={s.scanPath} className="study" onClick={() => void open(s.scanPath, s.reportText)}>
              {s.title}
            </button>
          ))}
        </aside>
        <section className="center">
          {scan && frame ? (
            <>
              <div className="scan-title" data-testid="scan-title">
                {scan.fileName} · {scan.width}×{scan.height} · {scan.format.toUpperCase()}
                {scan.modality ? ` · ${scan.modality}` : ''}
              </div>
              <Viewer scan={scan} frame={frame} />
            </>
          ) : (
            <div className="placeholder">{busy ? 'Opening…' : 'Open a scan to begin.'}</div>
          )}
        </section>
        <aside className="report">
          <h3>Report</h3>
          <textarea aria-label="Report text" value={report} onChange={(e) => setReport(e.target.value)} rows={12} />
        </aside>
      </main>
    </div>
  );
}
