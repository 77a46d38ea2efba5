/**
 * The scans of this window: the one on screen (its frame, cine and display), the studies and series
 * opened so far with their thumbnails or errors, and opening by path, study or file chooser.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FramePixels, SampleStudy } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';
import { forgetScan, openScan, scanBySha, scanFrame, type OpenedScan } from '../studies/scanStore';
import { entriesFrom, type ListedScan, type StudyEntry } from '../studies/StudyBrowser';
import { initialWindow, presetsFor } from '../viewer/presets';
import type { Display } from '../viewer/Viewer';

export interface OpenOptions {
  /** The study's title, for scans opened from the study list. */
  title?: string;
  /** Read the file again even if it was opened before (the Open button always does). */
  fresh?: boolean;
  /** Move the keyboard focus to the viewer once the scan is shown (the reviewer opened it). */
  focus?: boolean;
  /** List the scan in the study browser under this name (a study pulled from a PACS). */
  listAs?: string;
}

export function useScanSession(samples: SampleStudy[] | null, onShow: (scan: OpenedScan, opts: OpenOptions) => void, onError: (message: string | null) => void) {
  const [path, setPath] = useState('');
  const [current, setCurrent] = useState<OpenedScan | null>(null);
  const [studyTitle, setStudyTitle] = useState<string | null>(null);
  const [frameNo, setFrameNo] = useState(1);
  const [frame, setFrame] = useState<FramePixels | null>(null);
  const [display, setDisplay] = useState<Display | null>(null);
  const [cine, setCine] = useState(false);
  const [busy, setBusy] = useState(false);
  const [opened, setOpened] = useState<Map<string, OpenedScan>>(new Map());
  const [openErrors, setOpenErrors] = useState<Map<string, string>>(new Map());
  const [extraPaths, setExtraPaths] = useState<ListedScan[]>([]);
  const shown = useRef({ onShow, onError });
  shown.current = { onShow, onError };

  const listScan = useCallback((p: string, title?: string) => setExtraPaths((l) => (l.some((x) => x.path === p) ? l : [...l, { path: p, title }])), []);

  const remember = useCallback((p: string, s: OpenedScan | null, err: string | null) => {
    if (s) setOpened((m) => new Map(m).set(p, s));
    setOpenErrors((m) => {
      const n = new Map(m);
      if (err) n.set(p, err);
      else n.delete(p);
      return n;
    });
  }, []);

  const open = useCallback(async (p: string, opts: OpenOptions = {}): Promise<boolean> => {
    setBusy(true);
    shown.current.onError(null);
    // The path box names the scan on screen, however it was opened (box, study list, drop).
    setPath(p);
    if (opts.fresh) forgetScan(p);
    try {
      const s = await openScan(p);
      remember(p, s, null);
      if (opts.title === undefined) listScan(p, opts.listAs);
      setCurrent(s);
      setStudyTitle(opts.title ?? null);
      setFrameNo(1);
      setFrame(s.frames.get(1) ?? null);
      setDisplay({ win: initialWindow(s.summary), invert: s.summary.invertedByDefault, transform: null });
      setCine(false);
      shown.current.onShow(s, opts);
      return true;
    } catch (err) {
      remember(p, null, errorMessage(err));
      shown.current.onError(errorMessage(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, [remember, listScan]);

  /** Lists scans without showing them (the other instances of a pulled study), loading their thumbnails one by one. */
  const addToList = useCallback(async (paths: string[], title: string) => {
    for (const p of paths) {
      listScan(p, title);
      try {
        remember(p, await openScan(p), null);
      } catch (err) {
        remember(p, null, errorMessage(err));
      }
    }
  }, [listScan, remember]);

  // Start-up: the first study on screen, then thumbnails for the others, one at a time so the first is not slowed down.
  useEffect(() => {
    if (!samples) return;
    void (async () => {
      const [first, ...rest] = samples;
      if (first) await open(first.scanPath, { title: first.title });
      for (const s of rest) {
        try {
          remember(s.scanPath, await openScan(s.scanPath), null);
        } catch (err) {
          remember(s.scanPath, null, errorMessage(err));
        }
      }
    })();
  }, [samples, open, remember]);

  // Frames of a multi-frame scan load on demand; the previous frame stays up until the next arrives.
  useEffect(() => {
    if (!current) return;
    let live = true;
    scanFrame(current, frameNo).then(
      (f) => live && setFrame(f),
      (err: unknown) => {
        if (!live) return;
        shown.current.onError(`Frame ${frameNo}: ${errorMessage(err)}`);
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

  const onDisplay = useCallback((u: (d: Display) => Display) => setDisplay((d) => (d ? u(d) : d)), []);
  const step = useCallback((delta: number) => setFrameNo((n) => Math.min(frames, Math.max(1, n + delta))), [frames]);

  /** The scan of a recorded finding, by its content hash: opened in this window, or one of the samples. */
  const findScan = useCallback(async (sha: string): Promise<OpenedScan | null> => {
    const known = scanBySha(sha);
    if (known) return known;
    for (const s of samples ?? []) {
      try {
        const o = await openScan(s.scanPath);
        if (o.summary.sha256 === sha) return o;
      } catch {
        // A sample that no longer opens cannot be the recorded scan; try the next.
      }
    }
    return null;
  }, [samples]);

  const choose = useCallback(async () => {
    try {
      const { path: chosen } = await call('scan:choose', {});
      if (chosen) await open(chosen, { fresh: true, focus: true });
    } catch (err) {
      shown.current.onError(errorMessage(err));
    }
  }, [open]);

  const entries: StudyEntry[] = useMemo(() => entriesFrom(samples ?? [], opened, openErrors, extraPaths), [samples, opened, openErrors, extraPaths]);
  const presets = useMemo(() => (current ? presetsFor(current.summary) : []), [current]);

  return {
    path, setPath, current, studyTitle, frameNo, setFrameNo, frame, frames, step, cine, setCine, display, onDisplay,
    busy, open, addToList, choose, findScan, entries, presets,
  };
}

export type ScanSession = ReturnType<typeof useScanSession>;
