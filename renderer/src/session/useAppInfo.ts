import { useCallback, useEffect, useState } from 'react';
import type { AppInfo } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage, type UiErrorCode } from '../errors';

/**
 * What the main process says about itself (model, provider, sample studies), and what became of
 * the model since: an explanation refused as `unavailable` means the model did not load, which the
 * toolbar then says, whatever app:info said at start.
 */
export function useAppInfo() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const [modelProblem, setModelProblem] = useState<string | null>(null);

  useEffect(() => {
    call('app:info', {}).then(setInfo, (err: unknown) => setStartError(`The main process did not answer: ${errorMessage(err)}. Restart Candor.`));
  }, []);

  /** For useExplainJob: remembers a model that turned out unavailable. */
  const onExplainFailure = useCallback((code: UiErrorCode, message: string) => {
    if (code === 'unavailable') setModelProblem(message);
  }, []);

  return { info, startError, modelProblem: modelProblem ?? info?.modelError ?? null, onExplainFailure };
}
