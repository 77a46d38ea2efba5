import { useCallback, useEffect, useState } from 'react';
import type { Explanation, LocalisationResult, Region } from '../../../electron/api/contract';
import { call } from '../api';
import { errorMessage } from '../errors';
import { nextTool, type RegionTool } from './drawing';

export interface RegionState {
  tool: RegionTool;
  region: Region | null;
  setRegion: (r: Region) => void;
  cycleTool: () => void;
  clear: () => void;
  /** Each explanation on screen against the region, in the order given (null until measured). */
  results: LocalisationResult[] | null;
  error: string | null;
}

/**
 * The reader's region on the scan on screen and, for every explanation shown (both sides of a
 * comparison), its localisation figures, computed by the main process (explain:localise). Another
 * scan starts without a region; a new explanation is measured against the region as it stands.
 */
export function useRegion(explanations: (Explanation | null)[], scanKey: string | null): RegionState {
  const [tool, setTool] = useState<RegionTool>('off');
  const [region, setRegionState] = useState<Region | null>(null);
  const [results, setResults] = useState<LocalisationResult[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = explanations.filter((e): e is Explanation => e !== null).map((e) => e.id);
  const idsKey = ids.join(',');

  useEffect(() => {
    setRegionState(null);
  }, [scanKey]);

  useEffect(() => {
    setResults(null);
    setError(null);
    const explanationIds = idsKey ? idsKey.split(',') : [];
    if (!region || explanationIds.length === 0) return;
    let stale = false;
    call('explain:localise', { explanationIds, region })
      .then((r) => !stale && setResults(r.results))
      .catch((err: unknown) => !stale && setError(errorMessage(err)));
    return () => {
      stale = true;
    };
  }, [region, idsKey]);

  const setRegion = useCallback((r: Region) => setRegionState(r), []);
  const cycleTool = useCallback(() => setTool(nextTool), []);
  const clear = useCallback(() => setRegionState(null), []);
  return { tool, region, setRegion, cycleTool, clear, results, error };
}
