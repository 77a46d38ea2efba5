import { useCallback, useEffect, useRef, useState } from 'react';
import { MAX_ANCHOR_BYTES, type VerifyReport } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';

/** An anchor the auditor dropped or chose: read here (File API) and handed over by value. */
export interface HeldAnchor {
  name: string;
  bytes: Uint8Array;
}

/** audit:verify takes at most this many anchors at once. */
export const MAX_ANCHORS = 100;

const MiB = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** The files as anchors, or why each one that cannot be sent is refused (too large, unreadable). */
async function readFiles(files: readonly File[]): Promise<{ read: HeldAnchor[]; refused: string[] }> {
  const read: HeldAnchor[] = [];
  const refused: string[] = [];
  for (const f of files) {
    if (f.size > MAX_ANCHOR_BYTES) {
      refused.push(`${f.name}: ${MiB(f.size)}, more than the ${MiB(MAX_ANCHOR_BYTES)} an anchor may hold`);
      continue;
    }
    try {
      read.push({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
    } catch (err) {
      refused.push(`${f.name}: could not be read (${errorMessage(err)})`);
    }
  }
  return { read, refused };
}

/**
 * The evidence the view shows: audit:verify over the anchors the auditor handed in (none at first:
 * the installation's signatures and its anchors folder). A file the verifier refuses (not an
 * anchor, a damaged PDF) is named and left out; the others still count.
 */
export function useEvidence() {
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [anchors, setAnchorsState] = useState<HeldAnchor[]>([]);
  const [refused, setRefused] = useState<string[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The anchors as last committed (drops handled one after another read it, not a stale render's).
  const held = useRef<HeldAnchor[]>([]);
  const queue = useRef<Promise<void>>(Promise.resolve());
  // The newest check wins: an older answer arriving late must not replace it.
  const generation = useRef(0);
  const setAnchors = (list: HeldAnchor[]) => {
    held.current = list;
    setAnchorsState(list);
  };

  const check = useCallback(async (list: readonly HeldAnchor[]): Promise<VerifyReport> => call('audit:verify', { anchors: list.map((a) => ({ name: a.name, bytes: a.bytes })) }), []);

  /** Checks the log with the anchors held (or `list`) and shows the report. */
  const verify = useCallback(async (list?: readonly HeldAnchor[]) => {
    const mine = ++generation.current;
    setBusy(true);
    try {
      const r = await check(list ?? held.current);
      if (mine === generation.current) {
        setReport(r);
        setFailure(null);
      }
    } catch (err) {
      if (mine === generation.current) setFailure(`The log could not be verified: ${errorMessage(err)}`);
    } finally {
      if (mine === generation.current) setBusy(false);
    }
  }, [check]);

  /** Adds files; on a refusal, each new file is tried alone so the one at fault is named and the rest kept. */
  const addNow = async (files: readonly File[]): Promise<void> => {
    const mine = ++generation.current;
    const { read, refused: notes } = await readFiles(files);
    const before = held.current;
    const fresh = read.filter((a) => !before.some((h) => h.name === a.name && h.bytes.byteLength === a.bytes.byteLength));
    let list = [...before, ...fresh];
    if (list.length > MAX_ANCHORS) {
      notes.push(`only ${MAX_ANCHORS} anchors can be checked at once: ${list.length - MAX_ANCHORS} file(s) left out`);
      list = list.slice(0, MAX_ANCHORS);
    }
    // The report of the last check that passed is the report of `list` as it ends (a refused file is not added).
    let result: VerifyReport | null = null;
    try {
      result = await check(list);
    } catch {
      list = [...before];
      for (const a of fresh) {
        if (list.length >= MAX_ANCHORS) break;
        try {
          result = await check([...list, a]);
          list.push(a);
        } catch (err) {
          notes.push(errorMessage(err));
        }
      }
    }
    setAnchors(list);
    setRefused(notes);
    if (!result) return verify(list);
    if (mine !== generation.current) return;
    setReport(result);
    setFailure(null);
    setBusy(false);
  };

  const add = useCallback((files: readonly File[]) => {
    if (files.length === 0) return queue.current;
    setBusy(true);
    queue.current = queue.current.then(() => addNow(files)).catch((err: unknown) => setFailure(errorMessage(err)));
    return queue.current;
    // addNow reads only refs and stable callbacks.
  }, [verify]);

  const remove = useCallback((name: string) => {
    const list = held.current.filter((a) => a.name !== name);
    setAnchors(list);
    setRefused([]);
    void verify(list);
  }, [verify]);

  useEffect(() => {
    // Once, when the view opens: later checks are asked for (Verify again, a dropped file).
    void verify([]);
  }, [verify]);

  return { report, anchors, problems: failure ? [...refused, failure] : refused, busy, verify, add, remove };
}

export type Evidence = ReturnType<typeof useEvidence>;
