import { useEffect } from 'react';
import { call } from '../api';
import { checkSettings, precisionFor, type SettingsInput } from './settings';

/** How long the settings must stay unchanged before the graphs are built (typing "10" is not layer 1, then 10). */
const SETTLE_MS = 600;

/**
 * Has the main process build NIB's graphs for a layer or precision the reader has just chosen, so the
 * next Explain does not wait for them. The default layer's fp32 graphs are built when the model
 * loads; a failure here only means the click builds them, as before.
 */
export function usePrepareGraphs(settings: SettingsInput, modelLoaded: boolean): void {
  const checked = checkSettings(settings);
  const nib = checked.ok && checked.settings.methods.includes('nib') ? checked.settings : null;
  const layer = nib?.layer;
  const precision = nib ? precisionFor('nib', nib.precision) : null;
  useEffect(() => {
    if (!modelLoaded || !precision || (layer === undefined && precision === 'fp32')) return;
    const t = setTimeout(() => void call('explain:prepare', { layer, precision }).catch(() => undefined), SETTLE_MS);
    return () => clearTimeout(t);
  }, [modelLoaded, layer, precision]);
}
