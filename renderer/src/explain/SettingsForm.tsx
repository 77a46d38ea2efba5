import { INT8_SUMMARY, LAYER, METHOD_SPECS, METHODS, STEPS, methodLabel, type Method, type Precision, type Target } from '../../../electron/api/contract';
import { TARGET_LABEL, type SettingsInput } from './settings';

const TARGETS: Target[] = ['both', 'image', 'text'];

/** The explanation settings; limits and method names come from the contract (METHOD_SPECS, STEPS, LAYER). */
export function SettingsForm({ settings, onChange }: { settings: SettingsInput; onChange: (patch: Partial<SettingsInput>) => void }) {
  const spec = METHOD_SPECS[settings.method];
  return (
    <div className="explain-settings">
      <label className="field" title={spec.summary}>method
        <select data-testid="explain-method" value={settings.method} onChange={(e) => onChange({ method: e.target.value as Method })}>
          {METHODS.map((m) => <option key={m} value={m}>{methodLabel(m)}</option>)}
        </select>
      </label>
      <label className="field">compare with
        <select data-testid="compare-method" value={settings.compare} onChange={(e) => onChange({ compare: e.target.value as Method | '' })}>
          <option value="">— none —</option>
          {METHODS.filter((m) => m !== settings.method).map((m) => <option key={m} value={m}>{methodLabel(m)}</option>)}
        </select>
      </label>
      <label className="field" title={spec.usesLayer ? `Layer ${LAYER.min}–${LAYER.max} of the model (empty: ⌊¾·depth⌋)` : `${spec.label} does not read the layer`}>layer
        <input data-testid="explain-layer" inputMode="numeric" value={settings.layer} placeholder="¾·depth" onChange={(e) => onChange({ layer: e.target.value })} size={5} />
      </label>
      <label className="field" title={spec.usesSteps ? `Steps ${STEPS.min}–${STEPS.max} (default ${STEPS.default})` : `${spec.label} does not read the steps`}>steps
        <input data-testid="explain-steps" inputMode="numeric" value={settings.steps} onChange={(e) => onChange({ steps: e.target.value })} size={4} />
      </label>
      <label className="field">target
        <select data-testid="explain-target" value={settings.target} onChange={(e) => onChange({ target: e.target.value as Target })}>
          {TARGETS.map((t) => <option key={t} value={t}>{TARGET_LABEL[t]}</option>)}
        </select>
      </label>
      <label className="field" title="The VOI window applied to a grayscale scan before the model sees it">model sees
        <select data-testid="explain-window" value={settings.modelSees} onChange={(e) => onChange({ modelSees: e.target.value as 'default' | 'screen' })}>
          <option value="default">default window</option>
          <option value="screen">window on screen</option>
        </select>
      </label>
      <label className="field" title={spec.precisions.length > 1 ? `int8 = ${INT8_SUMMARY}` : `${spec.label} runs in fp32 only`}>precision
        <select data-testid="explain-precision" value={spec.precisions.includes(settings.precision) ? settings.precision : 'fp32'} disabled={spec.precisions.length < 2} onChange={(e) => onChange({ precision: e.target.value as Precision })}>
          <option value="fp32">fp32</option>
          <option value="int8">int8</option>
        </select>
      </label>
      <label className="field checkbox" title="Model-parameter randomisation (MPRT): the model's top layers re-drawn, the method run again per layer; warns when the map does not change. Costs one more run per layer.">
        <input type="checkbox" data-testid="explain-sanity" checked={settings.sanity} onChange={(e) => onChange({ sanity: e.target.checked })} /> sanity check
      </label>
    </div>
  );
}
