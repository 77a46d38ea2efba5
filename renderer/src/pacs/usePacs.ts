/**
 * The PACS panel's logic: the node (remembered), the search and its matches, one transfer at a
 * time (pull a study to open it, or send a finding's results) with progress and cancel, and the
 * outcome in one line.
 */
import { useCallback, useRef, useState } from 'react';
import type { PullResult, StudyMatch } from '../../../electron/api/contract';
import { call } from '../api';
import { errorCode, errorMessage } from '../errors';
import { EMPTY_SEARCH, loadNodeForm, nodeConfig, saveNodeForm, studyQuery, USER_KEY, type NodeForm, type SearchForm } from './settings';
import { runTransferJob } from './transferJob';

export interface Transfer {
  label: string;
  progress: number;
  stage: string;
}

export interface PacsNote {
  kind: 'ok' | 'error';
  text: string;
}

const storage = (): Storage | null => (typeof window !== 'undefined' ? window.localStorage : null);

export function usePacs(onPulled: (result: PullResult, match: StudyMatch) => void) {
  const [node, setNodeState] = useState<NodeForm>(() => loadNodeForm(storage()));
  const [user, setUserState] = useState<string>(() => storage()?.getItem(USER_KEY) ?? '');
  const [search, setSearch] = useState<SearchForm>(EMPTY_SEARCH);
  const [matches, setMatches] = useState<StudyMatch[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [transfer, setTransfer] = useState<Transfer | null>(null);
  const [note, setNote] = useState<PacsNote | null>(null);
  const abort = useRef<AbortController | null>(null);

  const setNode = useCallback((patch: Partial<NodeForm>) => {
    setNodeState((n) => {
      const next = { ...n, ...patch };
      saveNodeForm(storage(), next);
      return next;
    });
  }, []);

  const setUser = useCallback((name: string) => {
    setUserState(name);
    storage()?.setItem(USER_KEY, name.trim());
  }, []);
  const who = useCallback(() => (user.trim() ? { user: user.trim() } : {}), [user]);

  const runSearch = useCallback(async () => {
    setSearching(true);
    setNote(null);
    try {
      const res = await call('pacs:search', { node: nodeConfig(node), query: studyQuery(search) });
      setMatches(res.studies);
      setNote({ kind: 'ok', text: `${res.studies.length} stud${res.studies.length === 1 ? 'y' : 'ies'} on ${res.node}` });
    } catch (err) {
      setMatches(null);
      setNote({ kind: 'error', text: errorMessage(err) });
    } finally {
      setSearching(false);
    }
  }, [node, search]);

  const run = useCallback(async (label: string, start: () => Promise<{ jobId: string }>, done: (r: Awaited<ReturnType<typeof runTransferJob>>) => PacsNote) => {
    const ctrl = new AbortController();
    abort.current = ctrl;
    setNote(null);
    setTransfer({ label, progress: 0, stage: 'starting' });
    try {
      const result = await runTransferJob(start, (progress, stage) => setTransfer({ label, progress, stage }), ctrl.signal);
      setNote(done(result));
    } catch (err) {
      setNote({ kind: 'error', text: errorCode(err) === 'cancelled' ? 'Cancelled; nothing was kept.' : errorMessage(err) });
    } finally {
      abort.current = null;
      setTransfer(null);
    }
  }, []);

  const pull = useCallback(
    (m: StudyMatch) =>
      run(`Pulling ${m.patientName ?? m.studyUid}`, () => call('pacs:pull', { node: nodeConfig(node), studyUid: m.studyUid, ...who() }), (r) => {
        if (r.kind !== 'pull') return { kind: 'error', text: 'the node answered a pull with something else' };
        onPulled(r.pull, m);
        return { kind: 'ok', text: `Pulled ${r.pull.files.length} instance(s) into ${r.pull.dir}` };
      }),
    [node, who, run, onPulled],
  );

  const sendFinding = useCallback(
    (findingId: string, seq: number) =>
      run(`Sending the results of finding #${seq}`, () => call('pacs:push', { node: nodeConfig(node), findingId, ...who() }), (r) => {
        if (r.kind !== 'push') return { kind: 'error', text: 'the node answered a push with something else' };
        const failed = r.push.failed.map((f) => `${f.sopInstanceUid}: ${f.reason}`).join('; ');
        if (failed) return { kind: 'error', text: `Sent ${r.push.sent.length}, NOT sent ${r.push.failed.length}: ${failed}` };
        return { kind: 'ok', text: `Sent ${r.push.sent.length} object(s) to ${r.push.node}, study ${r.push.sent[0]?.studyUid ?? '?'}` };
      }),
    [node, who, run],
  );

  const cancel = useCallback(() => abort.current?.abort(), []);

  return { node, setNode, user, setUser, search, setSearch, matches, searching, runSearch, transfer, pull, sendFinding, cancel, note };
}

export type Pacs = ReturnType<typeof usePacs>;
