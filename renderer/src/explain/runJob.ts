/**
 * Runs one explanation through the job API (explain:start, then explain:poll every ~100 ms)
 * and stops it through explain:cancel when the caller aborts. The UI stays responsive because
 * nothing here blocks: the work happens in the main process.
 */
import type { Explanation, Request } from '../../../electron/api/contract';
import { ApiFailure, call } from '../api';
import { UiError } from '../errors';
import { mapProblem } from '../overlay/heatmap';

export const POLL_MS = 100;

export class ExplainCancelled extends UiError {
  constructor() {
    super('cancelled', 'The explanation was cancelled.');
  }
}

/** The explanation came back but would draw a wrong picture. */
export class ExplainFailed extends UiError {
  constructor(message: string) {
    super('model-output', message);
  }
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

export async function runExplainJob(
  request: Request<'explain:start'>,
  onProgress: (fraction: number, stage: string) => void,
  signal: AbortSignal,
): Promise<Explanation> {
  if (signal.aborted) throw new ExplainCancelled();
  const { jobId } = await call('explain:start', request);
  const cancel = () => {
    void call('explain:cancel', { jobId }).catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      await sleep(POLL_MS);
      if (signal.aborted) throw new ExplainCancelled();
      const state = await call('explain:poll', { jobId });
      if (signal.aborted) throw new ExplainCancelled();
      if (state.state === 'running') onProgress(state.progress, state.stage);
      else if (state.state === 'done') return checkExplanation(state.explanation);
      else if (state.state === 'cancelled') throw new ExplainCancelled();
      else throw new ApiFailure(state.error);
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** An explanation that would draw a wrong picture is refused with the reason, never shown. */
export function checkExplanation(e: Explanation): Explanation {
  if (!Number.isFinite(e.similarity)) {
    throw new ExplainFailed(`the model returned a similarity that is not a number (${e.similarity}); the model bundle or its input is broken`);
  }
  // A 0×0 map is the explainer's way of saying it draws none (its warning says why); anything else must be drawable.
  if (e.image && !isEmptyMap(e.image.map)) {
    const problem = mapProblem(e.image.map);
    if (problem) throw new ExplainFailed(`${problem}; the explanation cannot be drawn`);
  }
  if (e.text) {
    const bad = e.text.words.filter((w) => !Number.isFinite(w.normalized)).length;
    if (bad > 0) throw new ExplainFailed(`${bad} word scores are not numbers (NaN); the explanation cannot be shown`);
  }
  return e;
}

export function isEmptyMap(map: { width: number; height: number; values: Float32Array }): boolean {
  return map.width === 0 && map.height === 0 && map.values.length === 0;
}
