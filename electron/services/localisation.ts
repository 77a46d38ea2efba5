/** The reader's region against the explanations made in this session (explain:localise, finding:record). */
import type { Explanation, LocalisationResult, Region, ScanSummary } from '../api/contract';
import { halfPatchInScan, localisationMetrics, rasteriseRegion } from '../../native-models/explain/localisation';
import { UserInputError } from '../../native-models/errors';

/** One explanation's figures against a region on its scan; `problem` says why there are none. */
export function localise(explanation: Explanation, scan: Pick<ScanSummary, 'width' | 'height'>, region: Region): LocalisationResult {
  const image = explanation.image;
  if (!image || image.map.values.length === 0) return { explanationId: explanation.id, metrics: null, problem: 'this explanation has no image map' };
  const mask = rasteriseRegion(region, scan.width, scan.height);
  const tolerancePx = halfPatchInScan(image.grid, scan.width, scan.height, explanation.params.letterbox === true);
  try {
    return { explanationId: explanation.id, metrics: localisationMetrics(image.map, mask, { tolerancePx }), problem: null };
  } catch (err) {
    if (err instanceof UserInputError) return { explanationId: explanation.id, metrics: null, problem: err.message.replace(/^localisation: /, '') };
    throw err;
  }
}
