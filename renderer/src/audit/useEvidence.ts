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
  const [anchors, setAnchors] = useState<HeldAnchor[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  // The newest request wins: an older answer arriving late must not replace it.
  const generation = useRef(0);

  const check = useCallback(async (held: readonly HeldAnchor[]): Promise<VerifyReport> => call('audit:verify', { anchors: held.map((a) => ({ name: a.name, bytes: a.bytes })) }), []);

  const verify = useCallback(async (held: readonly HeldAnchor[] = anchors) => {
    const mine = ++generation.current;
    setBusy(true);
    try {
      const r = await check(held);
      if (mine === generation.current) setReport(r);
    } catch (err) {
      if (mine === generation.current) setProblems([`The log could not be verified: ${errorMessage(err)}`]);
    } finally {
      if (mine === generation.current) setBusy(false);
    }
  }, [anchors, check]);

  /** Adds files; on a refusal, each new file is tried alone so the one at fault is named and the rest kept. */
  const add = useCallback(async (files: readonly File[]) => {
    if (files.length === 0) return;
    const mine = ++generation.current;
    setBusy(true);
    const { read, refused } = await readFiles(files);
    const fresh = read.filter((a) => !anchors.some((h) => h.name === a.name && h.bytes.byteLength === a.bytes.byteLength));
    let held = [...anchors, ...fresh];
    if (held.length > MAX_ANCHORS) {
      refused.push(`only ${MAX_ANCHORS} anchors can be checked at once: ${held.length - MAX_ANCHORS} file(s) left out`);
      held = held.slice(0, MAX_ANCHORS);
    }
    let result: VerifyReport | null = null;
    try {
      result = await check(held);
    } catch {
      held = [...anchors];
      for (const a of fresh) {
        if (held.length >= MAX_ANCHORS) break;
        try {
          result = await check([...held, a]);
          held.push(a);
        } catch (err) {
          refused.push(errorMessage(err));
        }
      }
      if (!result) result = await check(held).catch(() => null);
    }
    if (mine !== generation.current) return;
    setAnchors(held);
    if (result) setReport(result);
    setProblems(refused);
    setBusy(false);
  }, [anchors, check]);

  const remove = useCallback((name: string) => {
    const held = anchors.filter((a) => a.name !== name);
    setAnchors(held);
    setProblems([]);
    void verify(held);
  }, [anchors, verify]);

  useEffect(() => {
    // Once, when the view opens: later checks are asked for (Verify again, a dropped file).
    void verify([]);
  }, []);

  return { report, anchors, problems, busy, verify, add, remove };
}

export type Evidence = ReturnType<typeof useEvidence>;
