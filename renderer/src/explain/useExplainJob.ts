/**
 * One explanation job at a time (with an optional second method side by side), as a reducer:
 * a newer request or a cancel supersedes the running one, and only the run still current may
 * change what is shown.
 */
import { useCallback, useReducer, useRef } from 'react';
import { methodLabel, type Explanation, type Request, type SentenceExplanation } from '../../../electron/api/contract';
import { errorCode, errorMessage, type UiErrorCode } from '../errors';
import { runExplainJob } from './runJob';

export type Phase =
  | { state: 'idle' }
  | { state: 'running'; progress: number; stage: string; label: string }
  | { state: 'failed'; code: UiErrorCode; message: string }
  | { state: 'cancelled' };

export interface JobState {
  phase: Phase;
  explanation: Explanation | null;
  comparison: Explanation | null;
  /** The settings key the shown result was made with. */
  shownKey: string | null;
  /** Every sentence's explanation, when the whole report was explained at once. */
  sentences?: SentenceExplanation[] | null;
}

type Event =
  | { type: 'progress'; progress: number; stage: string; label: string }
  | { type: 'result'; explanation: Explanation; first: boolean; key: string; sentences?: SentenceExplanation[] | null }
  | { type: 'show'; explanation: Explanation }
  | { type: 'done' }
  | { type: 'failed'; code: UiErrorCode; message: string }
  | { type: 'cancelled' }
  | { type: 'dismiss' }
  | { type: 'clear' };

const IDLE: JobState = { phase: { state: 'idle' }, explanation: null, comparison: null, shownKey: null };

export function jobReducer(s: JobState, e: Event): JobState {
  switch (e.type) {
    case 'progress':
      return { ...s, phase: { state: 'running', progress: e.progress, stage: e.stage, label: e.label } };
    case 'result':
      return e.first ? { ...s, explanation: e.explanation, comparison: null, shownKey: e.key, sentences: e.sentences ?? null } : { ...s, comparison: e.explanation };
    case 'show':
      return { ...s, explanation: e.explanation };
    case 'done':
      return { ...s, phase: { state: 'idle' } };
    case 'failed':
      return { ...s, phase: { state: 'failed', code: e.code, message: e.message } };
    case 'cancelled':
      return { ...s, phase: { state: 'cancelled' } };
    case 'dismiss':
      return s.phase.state === 'failed' || s.phase.state === 'cancelled' ? { ...s, phase: { state: 'idle' } } : s;
    case 'clear':
      return IDLE;
  }
}

export interface ExplainJob {
  state: JobState;
  running: boolean;
  /** Runs the requests in order (the first is the main result, a second the comparison). */
  run(requests: Request<'explain:start'>[], key: string): Promise<void>;
  /** Shows a failure that happened before anything was sent (a setting out of range). */
  fail(code: UiErrorCode, message: string): void;
  cancel(): void;
  /** Forgets a failure or cancel notice (the settings it was about have changed). */
  dismiss(): void;
  /** Stops any run and forgets the result (another scan is shown). */
  clear(): void;
  /** Brings one of the sentences explained at once to the viewer. */
  show(e: Explanation): void;
}

export function useExplainJob(onFailure?: (code: UiErrorCode, message: string) => void): ExplainJob {
  const [state, dispatch] = useReducer(jobReducer, IDLE);
  const current = useRef<AbortController | null>(null);

  const run = useCallback(async (requests: Request<'explain:start'>[], key: string) => {
    current.current?.abort();
    const ctrl = new AbortController();
    current.current = ctrl;
    try {
      for (const [k, request] of requests.entries()) {
        const name = methodLabel(request.method ?? 'nib');
        const label = requests.length > 1 ? `${name} (${k + 1} of ${requests.length})` : name;
        dispatch({ type: 'progress', progress: 0, stage: 'starting', label });
        const { explanation: e, sentences } = await runExplainJob(request, (progress, stage) => !ctrl.signal.aborted && dispatch({ type: 'progress', progress, stage, label }), ctrl.signal);
        if (ctrl.signal.aborted) return;
        dispatch({ type: 'result', explanation: e, first: k === 0, key, sentences });
      }
      dispatch({ type: 'done' });
    } catch (err) {
      if (current.current !== ctrl) return; // superseded by a newer request, which owns the panel now
      const code = ctrl.signal.aborted ? 'cancelled' : errorCode(err);
      if (code === 'cancelled') dispatch({ type: 'cancelled' });
      else {
        dispatch({ type: 'failed', code, message: errorMessage(err) });
        onFailure?.(code, errorMessage(err));
      }
    } finally {
      if (current.current === ctrl) current.current = null;
    }
  }, [onFailure]);

  const cancel = useCallback(() => {
    if (!current.current || current.current.signal.aborted) return;
    current.current.abort();
    dispatch({ type: 'cancelled' });
  }, []);
  const clear = useCallback(() => {
    current.current?.abort();
    current.current = null;
    dispatch({ type: 'clear' });
  }, []);
  const dismiss = useCallback(() => dispatch({ type: 'dismiss' }), []);
  const show = useCallback((explanation: Explanation) => dispatch({ type: 'show', explanation }), []);
  const fail = useCallback((code: UiErrorCode, message: string) => dispatch({ type: 'failed', code, message }), []);

  return { state, running: state.phase.state === 'running', run, fail, cancel, dismiss, clear, show };
}
