/**
 * Every action of the review workspace, in one table: its keys, its label, where its button sits.
 * The key handler, the toolbars and the help overlay all read it (as tldraw's actions.tsx does), so
 * an action cannot have a key the help does not list or a button that does something else.
 * What each action does is bound in bindings.ts; this table is pure data.
 */

export type ActionId =
  | 'preset' | 'invert' | 'reset' | 'fit' | 'actualSize' | 'zoomIn' | 'zoomOut' | 'interpolation'
  | 'toggleOverlay' | 'opacityUp' | 'opacityDown' | 'thresholdUp' | 'thresholdDown'
  | 'explain' | 'explainAll' | 'cancel' | 'compare' | 'cine' | 'nextFrame' | 'prevFrame'
  | 'tags' | 'audit' | 'recordFinding' | 'exportPdf' | 'pacs' | 'help' | 'regionTool' | 'clearRegion';

/** Where an action's button is drawn. */
export type Place = 'toolbar' | 'viewer' | 'explain' | 'finding' | 'region';

export interface ActionSpec {
  id: ActionId;
  /** Short, for a button. */
  label: string;
  /** One line for the help overlay and the button's tooltip. */
  help: string;
  /** KeyboardEvent.key values (letters lower case); `Mod+` means Ctrl or ⌘. */
  keys: string[];
  /** How the keys are written in help, when not one per key. */
  keysShown?: string;
  button?: { place: Place; testId: string };
  /** Also while typing in a text field (only keys that type nothing there). */
  whileTyping?: boolean;
}

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const ACTIONS: readonly ActionSpec[] = [
  { id: 'preset', label: 'Window', help: 'Window preset (the DICOM file’s own first, then full range, then CT presets)', keys: DIGITS, keysShown: '1 … 9' },
  { id: 'invert', label: 'Invert', help: 'Invert grey levels', keys: ['i'], button: { place: 'viewer', testId: 'invert' } },
  { id: 'fit', label: 'Fit', help: 'Fit the image to the viewport (also double-click)', keys: ['f'], button: { place: 'viewer', testId: 'fit' } },
  { id: 'actualSize', label: '1:1', help: 'Actual size, one image pixel per screen pixel', keys: ['z'], button: { place: 'viewer', testId: 'actual-size' } },
  { id: 'zoomIn', label: 'Zoom in', help: 'Zoom in (also mouse wheel or right-drag)', keys: ['+', '='] },
  { id: 'zoomOut', label: 'Zoom out', help: 'Zoom out', keys: ['-'] },
  { id: 'reset', label: 'Reset', help: 'Reset window, inversion, zoom and pan', keys: ['r'], button: { place: 'viewer', testId: 'reset' } },
  { id: 'interpolation', label: 'Smooth', help: 'Smooth (bilinear) or nearest-neighbour pixels when zoomed', keys: ['s'], button: { place: 'viewer', testId: 'interpolation' } },
  { id: 'tags', label: 'Tags', help: 'Tag browser: the scan’s header', keys: ['t'], button: { place: 'viewer', testId: 'tags-button' } },
  { id: 'cine', label: 'Play', help: 'Play / pause cine (multi-frame scans)', keys: [' '], button: { place: 'viewer', testId: 'cine-play' } },
  { id: 'nextFrame', label: 'Next frame', help: 'Next frame', keys: ['ArrowRight'] },
  { id: 'prevFrame', label: 'Previous frame', help: 'Previous frame', keys: ['ArrowLeft'] },
  { id: 'regionTool', label: 'Region', help: 'Region tool: off → box → freehand outline; drag on the scan to mark where the finding is (each map is scored against it)', keys: ['d'], button: { place: 'region', testId: 'region-tool' } },
  { id: 'clearRegion', label: 'Clear', help: 'Clear the region (draw again to replace it)', keys: ['Delete', 'Backspace'], keysShown: 'Del', button: { place: 'region', testId: 'region-clear' } },
  { id: 'toggleOverlay', label: 'Overlay', help: 'Show or hide the attribution overlay', keys: ['o'] },
  { id: 'opacityUp', label: 'Opacity +', help: 'Overlay opacity up', keys: [']'] },
  { id: 'opacityDown', label: 'Opacity −', help: 'Overlay opacity down', keys: ['['] },
  { id: 'thresholdUp', label: 'Threshold +', help: 'Overlay threshold up', keys: ['}'] },
  { id: 'thresholdDown', label: 'Threshold −', help: 'Overlay threshold down', keys: ['{'] },
  { id: 'explain', label: 'Explain', help: 'Explain the selected text (or the whole report)', keys: ['e'], button: { place: 'explain', testId: 'explain-button' } },
  { id: 'explainAll', label: 'All sentences', help: 'Explain every sentence of the report in one job; sentences that deny a finding are marked', keys: ['Shift+e'], keysShown: 'Shift+E', button: { place: 'explain', testId: 'explain-all-button' } },
  { id: 'cancel', label: 'Cancel', help: 'Cancel the running explanation (in a dialog: close it)', keys: ['Escape'], whileTyping: true, button: { place: 'explain', testId: 'explain-cancel' } },
  { id: 'compare', label: 'Compare', help: 'Compare with a second method side by side', keys: ['c'] },
  { id: 'recordFinding', label: 'Record finding', help: 'Record the finding (in the note field too)', keys: ['Mod+Enter'], whileTyping: true, button: { place: 'finding', testId: 'record-finding' } },
  { id: 'audit', label: 'Audit log', help: 'Switch between review and the audit log (also the tabs)', keys: ['a'] },
  { id: 'pacs', label: 'PACS', help: 'PACS: search the hospital archive, open a study, send a finding’s results back', keys: ['p'], button: { place: 'toolbar', testId: 'pacs-button' } },
  { id: 'exportPdf', label: 'Export session PDF', help: 'Export the findings recorded in this session (since this window opened) to one PDF; the audit log exports any others', keys: [], button: { place: 'toolbar', testId: 'toolbar-export' } },
  { id: 'help', label: '?', help: 'This help', keys: ['?', 'F1'], button: { place: 'toolbar', testId: 'help-button' } },
];

const KEY_NAMES: Record<string, string> = { ' ': 'Space', Escape: 'Esc', ArrowRight: '→', ArrowLeft: '←', '-': '−', 'Mod+Enter': 'Ctrl+Enter' };

/** How an action's keys are written: "I", "+ / =", "Ctrl+Enter"; empty for a button only. */
export function keysShown(a: ActionSpec): string {
  return a.keysShown ?? a.keys.map((k) => KEY_NAMES[k] ?? (k.length === 1 ? k.toUpperCase() : k)).join(' / ');
}

/** The key as the table writes it, or null for a key no action may have (Alt combinations). */
export function keyOf(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey?: boolean }): string | null {
  if (e.altKey) return null;
  if (e.ctrlKey || e.metaKey) return `Mod+${e.key}`;
  if (e.shiftKey && /^[a-z]$/i.test(e.key)) return `Shift+${e.key.toLowerCase()}`;
  return e.key.length === 1 ? e.key.toLowerCase() : e.key;
}

export function actionForKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey?: boolean }): ActionSpec | null {
  const k = keyOf(e);
  return k === null ? null : (ACTIONS.find((a) => a.keys.includes(k)) ?? null);
}

export function actionsAt(place: Place): ActionSpec[] {
  return ACTIONS.filter((a) => a.button?.place === place);
}

export function spec(id: ActionId): ActionSpec {
  return ACTIONS.find((a) => a.id === id)!;
}

/** Typing in a field must not trigger shortcuts (except the ones marked whileTyping). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
  if (tag !== 'INPUT') return false;
  return !['range', 'checkbox', 'radio', 'button', 'submit'].includes((el as HTMLInputElement).type);
}
