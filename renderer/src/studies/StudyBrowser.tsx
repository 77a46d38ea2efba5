import type { SampleStudy } from '../../../electron/api/contract';
import type { OpenedScan } from './scanStore';

export interface StudyEntry {
  key: string;
  title: string;
  path: string;
  report: string | null;
  scan: OpenedScan | null;
  error: string | null;
}

/** A scan opened in this session besides the samples; `title` names it in the list (a study pulled from a PACS). */
export interface ListedScan {
  path: string;
  title?: string;
}

export function entriesFrom(samples: SampleStudy[], opened: Map<string, OpenedScan>, errors: Map<string, string>, extra: ListedScan[]): StudyEntry[] {
  const list: StudyEntry[] = samples.map((s) => ({
    key: s.scanPath,
    title: s.title,
    path: s.scanPath,
    report: s.reportText,
    scan: opened.get(s.scanPath) ?? null,
    error: errors.get(s.scanPath) ?? null,
  }));
  for (const { path: p, title } of extra) {
    if (list.some((e) => e.path === p)) continue;
    const scan = opened.get(p) ?? null;
    list.push({ key: p, title: title ?? scan?.summary.fileName ?? p.split(/[\\/]/).pop() ?? p, path: p, report: null, scan, error: errors.get(p) ?? null });
  }
  return list;
}

/** Studies (the bundled samples) and series opened in this session, each with a thumbnail. */
export function StudyBrowser({ entries, currentPath, onOpen }: { entries: StudyEntry[]; currentPath: string | null; onOpen: (e: StudyEntry) => void }) {
  return (
    <aside className="studies" data-testid="study-browser">
      <h3>Studies</h3>
      {entries.length === 0 ? <p className="muted">No studies yet. Open a DICOM or PNG file above.</p> : null}
      {entries.map((e) => (
        <button
          key={e.key}
          className={e.path === currentPath ? 'study current' : 'study'}
          data-testid="study"
          title={e.path}
          onClick={() => onOpen(e)}
        >
          {e.scan?.thumbnail ? (
            <img className="thumb" src={e.scan.thumbnail} alt="" data-testid="study-thumbnail" />
          ) : (
            <span className="thumb thumb-empty">{e.error ? '!' : '…'}</span>
          )}
          <span className="study-text">
            <span>{e.title}</span>
            <span className="muted small">
              {e.scan
                ? `${e.scan.summary.modality ?? e.scan.summary.format.toUpperCase()} · ${e.scan.summary.width}×${e.scan.summary.height}` +
                  (e.scan.summary.frames > 1 ? ` · ${e.scan.summary.frames} frames` : '')
                : (e.error ?? 'loading…')}
            </span>
          </span>
        </button>
      ))}
    </aside>
  );
}
