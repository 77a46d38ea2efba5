/**
 * The algorithm behind an explanation, as DICOM's Algorithm Identification says it (PS3.3
 * Table 10-19 in images, TID 4019 in reports): the model by name, its SHA-256 as the version
 * (which weights, exactly), and the method with its parameters.
 */
import type { Explanation } from '../../native-models/explain/types';

export interface AlgorithmIdentity {
  /** The model's name (LO: at most 64 characters). */
  name: string;
  /** The model file's SHA-256, hex: 64 characters, exactly what LO holds. */
  version: string;
  /** `method=nib`, then each parameter as `key=value`, in a stable order. */
  parameters: string[];
}

export function algorithmIdentity(e: Explanation, extra: Record<string, string | number> = {}): AlgorithmIdentity {
  const params = { ...e.params, ...extra };
  const parameters = [`method=${e.method}`, ...Object.keys(params).sort().map((k) => `${k}=${String(params[k])}`)];
  return { name: e.model.name.slice(0, 64), version: e.model.sha256, parameters };
}
