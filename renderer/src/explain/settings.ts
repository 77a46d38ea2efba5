/**
 * The explanation settings as the reviewer types them, checked against the contract's limits
 * (STEPS, LAYER) before anything is sent, and stated back in words for the result panel.
 */
import { LAYER, METHOD_SPECS, STEPS, methodLabel, type Explanation, type Method, type Precision, type Target } from '../../../electron/api/contract';

export interface SettingsInput {
  method: Method;
  /** A second method to run side by side, or '' for none. */
  compare: Method | '';
  layer: string;
  steps: string;
  target: Target;
  /** What a grayscale scan looks like to the model: its default window (reproducible) or the one on screen. */
  modelSees: 'default' | 'screen';
  /** Run the model-parameter randomisation check too (one more run per layer re-drawn, so off by default). */
  sanity: boolean;
  /** The arithmetic; int8 is opt-in and applies to the methods that offer it (NIB), the others run fp32. */
  precision: Precision;
}

/** Steps default to the paper's 10; an empty layer lets the service pick ⌊¾·depth⌋. */
export const DEFAULT_SETTINGS: SettingsInput = { method: 'nib', compare: '', layer: '', steps: String(STEPS.default), target: 'both', modelSees: 'default', sanity: false, precision: 'fp32' };

export interface Settings {
  methods: Method[];
  layer: number | undefined;
  steps: number;
  target: Target;
  modelSees: 'default' | 'screen';
  sanity: boolean;
  precision: Precision;
}

export type Checked = { ok: true; settings: Settings } | { ok: false; message: string };

export function checkSettings(s: SettingsInput): Checked {
  const steps = Number(s.steps);
  if (s.steps.trim() === '' || !Number.isInteger(steps) || steps < STEPS.min || steps > STEPS.max) {
    return { ok: false, message: `Steps must be a whole number from ${STEPS.min} to ${STEPS.max}, not “${s.steps}”.` };
  }
  const layer = s.layer.trim() === '' ? undefined : Number(s.layer);
  if (layer !== undefined && (!Number.isInteger(layer) || layer < LAYER.min || layer > LAYER.max)) {
    return { ok: false, message: `Layer must be a whole number from ${LAYER.min} (the first layer) to ${LAYER.max}, or empty for ⌊¾·depth⌋; not “${s.layer}”.` };
  }
  const methods: Method[] = s.compare && s.compare !== s.method ? [s.method, s.compare] : [s.method];
  return { ok: true, settings: { methods, layer, steps, target: s.target, modelSees: s.modelSees, sanity: s.sanity, precision: s.precision } };
}

/** The precision a method runs at for these settings: the one chosen where the method offers it, else fp32. */
export function precisionFor(method: Method, chosen: Precision): Precision {
  return METHOD_SPECS[method].precisions.includes(chosen) ? chosen : 'fp32';
}

/** Identifies what a run asked for, to tell whether the result on screen still matches the settings. */
export function settingsKey(s: SettingsInput): string {
  const c = checkSettings(s);
  return c.ok ? JSON.stringify(c.settings) : `invalid:${JSON.stringify(s)}`;
}

export const TARGET_LABEL: Record<Target, string> = { both: 'image + text', image: 'image', text: 'text' };

/** "NIB · layer 4 · steps 10 · image + text": the settings an explanation was made with, those its method reads. */
export function describeExplanation(e: Explanation): string {
  const spec = METHOD_SPECS[e.method];
  const parts = [methodLabel(e.method)];
  if (spec.usesLayer) parts.push(`layer ${e.params.layer}`);
  if (spec.usesSteps) parts.push(`steps ${e.params.steps}`);
  parts.push(TARGET_LABEL[e.params.target]);
  if (e.params.precision === 'int8') parts.push('int8');
  return parts.join(' · ');
}
