/**
 * Each scan's report: a sample study brings its own, any other scan starts empty, and text typed
 * for a scan in this session comes back when the reviewer returns to it. A report is never carried
 * over to another scan, so a finding cannot be explained against the wrong patient's report.
 */
import { useCallback, useRef, useState } from 'react';
import type { SampleStudy } from '../../../electron/api/contract';

export interface Selection {
  start: number;
  end: number;
}

export function useReports(samples: SampleStudy[] | null) {
  const typed = useRef(new Map<string, string>());
  const [scanPath, setScanPath] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [selection, setSelection] = useState<Selection | null>(null);

  /** Shows the report of the scan at `path`. */
  const showFor = useCallback((path: string) => {
    setScanPath(path);
    setText(typed.current.get(path) ?? samples?.find((s) => s.scanPath === path)?.reportText ?? '');
    setSelection(null);
  }, [samples]);

  const edit = useCallback((t: string) => {
    setText(t);
    setSelection(null);
    if (scanPath !== null) typed.current.set(scanPath, t);
  }, [scanPath]);

  /** The selected phrase, else the whole report. */
  const toExplain = useCallback((): string => (selection && selection.end > selection.start ? text.slice(selection.start, selection.end) : text), [text, selection]);

  return { scanPath, text, edit, showFor, selection, setSelection, toExplain };
}

export type Reports = ReturnType<typeof useReports>;
