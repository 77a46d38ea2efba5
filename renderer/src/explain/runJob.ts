/**
 * Runs one explanation through the job API (explain:start, then explain:poll every ~100 ms)
 * and stops it through explain:cancel when the caller aborts. The UI stays responsive because
 * nothing here blocks: the work happens in the main process.
 */
import type { Explanation, Request, SentenceExplanation } from '../../../electron/api/contract';
import { call } from '../api';
import { UiError } from '../errors';
import { mapProblem } from '../overlay/heatmap';
import { runPolledJob } from '../pollJob';

export { POLL_MS } from '../pollJob';

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

export async function runExplainJob(
  request: Request<'explain:start'>,
  onProgress: (fraction: number, stage: string) => void,
  signal: AbortSignal,
): Promise<{ explanation: Explanation; sentences: SentenceExplanation[] | null }> {
  const done = await runPolledJob(
    {
      start: () => call('explain:start', request),
      poll: (jobId) => call('explain:poll', { jobId }),
      cancel: (jobId) => call('explain:cancel', { jobId }),
      cancelled: () => new ExplainCancelled(),
    },
    onProgress,
    signal,
  );
  return { explanation: checkExplanation(done.explanation), sentences: done.sentences?.map((s) => ({ ...s, explanation: checkExplanation(s.explanation) })) ?? null };
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
