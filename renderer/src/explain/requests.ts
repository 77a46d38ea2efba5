/** The explain:start requests for what the reviewer asked, or the reason none can be sent. */
import type { Request, ScanSummary } from '../../../electron/api/contract';
import type { Window } from '../viewer/windowing';
import { checkSettings, precisionFor, type SettingsInput } from './settings';

export interface ExplainInput {
  scan: ScanSummary | null;
  frame: number;
  text: string;
  settings: SettingsInput;
  /** The window on screen, sent when the model is to see the scan as the reviewer does. */
  screenWindow: Window | null;
  /** Every sentence of the text in one job (the main method only). */
  allSentences?: boolean;
}

export function explainRequests(i: ExplainInput): { ok: true; requests: Request<'explain:start'>[] } | { ok: false; message: string } {
  if (!i.scan) return { ok: false, message: 'Open a scan first.' };
  const text = i.text.trim();
  if (!text) return { ok: false, message: 'The report text is empty: type or load a report, then select a sentence or phrase.' };
  const checked = checkSettings(i.settings);
  if (!checked.ok) return checked;
  const { methods, layer, steps, target, modelSees, sanity, precision } = checked.settings;
  const window = modelSees === 'screen' && i.screenWindow && i.scan.channels === 1 ? { center: i.screenWindow.center, width: Math.max(1, i.screenWindow.width) } : undefined;
  const scanId = i.scan.id;
  if (i.allSentences) return { ok: true, requests: [{ scanId, frame: i.frame, text, method: methods[0], steps, layer, target, window, sanity, precision: precisionFor(methods[0], precision), allSentences: true }] };
  return { ok: true, requests: methods.map((method) => ({ scanId, frame: i.frame, text, method, steps, layer, target, window, sanity, precision: precisionFor(method, precision) })) };
}
