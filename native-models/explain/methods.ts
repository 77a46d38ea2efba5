/**
 * What each attribution method is, as data: its display name, the sides it explains, which of the
 * shared settings it reads, its defaults and limits. The API contract, the CLI's help and the UI read
 * these; the registry (registry.ts) pairs each entry with its run function. Pure data: importable by
 * the renderer.
 */
import type { Method } from './types';

export interface Limit {
  min: number;
  max: number;
  default: number;
  integer: boolean;
}

export interface MethodSpec {
  id: Method;
  /** The one display name, used by the selector, the result panel, the audit view and the PDF. */
  label: string;
  /** One line for help texts. */
  summary: string;
  sides: { image: boolean; text: boolean };
  /** Whether the method reads the layer setting (methods on the input ignore it). */
  usesLayer: boolean;
  /** Whether the method reads the steps setting. */
  usesSteps: boolean;
}

/** The integration steps every method that uses steps accepts (the paper's default is 10). */
export const STEPS: Limit = { min: 1, max: 200, default: 10, integer: true };
/** Layer indices accepted at the API; the model's own depth is checked when it runs. */
export const LAYER: Omit<Limit, 'default'> = { min: 0, max: 200, integer: true };

export const METHOD_SPECS: Readonly<Record<Method, MethodSpec>> = {
  nib: { id: 'nib', label: 'NIB', summary: 'Narrowing Information Bottleneck (the paper’s method): h ⊙ ∂cos/∂x along x = h·i/n at layer L', sides: { image: true, text: true }, usesLayer: true, usesSteps: true },
  m2ib: { id: 'm2ib', label: 'M2IB', summary: 'Multi-modal information bottleneck: a learned per-element bottleneck at layer L', sides: { image: true, text: true }, usesLayer: true, usesSteps: false },
  gradcam: { id: 'gradcam', label: 'Grad-CAM', summary: 'ReLU(Σ h ⊙ ∂cos/∂h) on the layer-L tokens', sides: { image: true, text: true }, usesLayer: true, usesSteps: false },
  rise: { id: 'rise', label: 'RISE', summary: 'Random masks, weighted by the similarity they leave', sides: { image: true, text: true }, usesLayer: false, usesSteps: false },
  saliency: { id: 'saliency', label: 'Saliency', summary: '|∂cos/∂input| (image pixels, text embeddings)', sides: { image: true, text: true }, usesLayer: false, usesSteps: false },
  ig: { id: 'ig', label: 'Integrated gradients', summary: 'Integrated gradients on the input from a zero baseline', sides: { image: true, text: true }, usesLayer: false, usesSteps: true },
};

export function methodLabel(method: string): string {
  return (METHOD_SPECS as Record<string, MethodSpec | undefined>)[method]?.label ?? method;
}
