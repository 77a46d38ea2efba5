/** Every keyboard shortcut, in one table the key handler and the help overlay both read. */
export type Action =
  | 'preset'
  | 'invert'
  | 'reset'
  | 'fit'
  | 'actualSize'
  | 'zoomIn'
  | 'zoomOut'
  | 'toggleOverlay'
  | 'opacityUp'
  | 'opacityDown'
  | 'thresholdUp'
  | 'thresholdDown'
  | 'explain'
  | 'cancel'
  | 'cine'
  | 'nextFrame'
  | 'prevFrame'
  | 'tags'
  | 'compare'
  | 'audit'
  | 'recordFinding'
  | 'help';

export interface Shortcut {
  keys: string;
  action: Action;
  description: string;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: '1 … 9', action: 'preset', description: 'Window preset (the DICOM file’s own first, then full range, then CT presets)' },
  { keys: 'I', action: 'invert', description: 'Invert grey levels' },
  { keys: 'R', action: 'reset', description: 'Reset window, inversion, zoom and pan' },
  { keys: 'F', action: 'fit', description: 'Fit the image to the viewport (also double-click)' },
  { keys: 'Z', action: 'actualSize', description: 'Actual size, one image pixel per screen pixel (1:1)' },
  { keys: '+ / −', action: 'zoomIn', description: 'Zoom in / out (also mouse wheel or right-drag)' },
  { keys: 'O', action: 'toggleOverlay', description: 'Show or hide the attribution overlay' },
  { keys: '] / [', action: 'opacityUp', description: 'Overlay opacity up / down' },
  { keys: '} / {', action: 'thresholdUp', description: 'Overlay threshold up / down' },
  { keys: 'E', action: 'explain', description: 'Explain the selected text (or the whole report)' },
  { keys: 'Esc', action: 'cancel', description: 'Cancel the running explanation; close this help' },
  { keys: 'Space', action: 'cine', description: 'Play / pause cine (multi-frame scans)' },
  { keys: '→ / ←', action: 'nextFrame', description: 'Next / previous frame' },
  { keys: 'T', action: 'tags', description: 'Tag browser' },
  { keys: 'C', action: 'compare', description: 'Compare with a second method side by side' },
  { keys: 'A', action: 'audit', description: 'Switch between review and the audit log' },
  { keys: 'Ctrl+Enter', action: 'recordFinding', description: 'Record the finding (in the note field too)' },
  { keys: '?', action: 'help', description: 'This help' },
];

/** The action for a key event, or null; `preset` carries its number. */
export function actionFor(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): { action: Action; preset?: number } | null {
  if (e.altKey) return null;
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') return { action: 'recordFinding' };
  if (e.ctrlKey || e.metaKey) return null;
  if (/^[1-9]$/.test(e.key)) return { action: 'preset', preset: Number(e.key) };
  const map: Record<string, Action> = {
    i: 'invert', r: 'reset', f: 'fit', z: 'actualSize', '+': 'zoomIn', '=': 'zoomIn', '-': 'zoomOut',
    o: 'toggleOverlay', ']': 'opacityUp', '[': 'opacityDown', '}': 'thresholdUp', '{': 'thresholdDown',
    e: 'explain', Escape: 'cancel', ' ': 'cine', ArrowRight: 'nextFrame', ArrowLeft: 'prevFrame',
    t: 'tags', c: 'compare', a: 'audit', '?': 'help', F1: 'help',
  };
  const action = map[e.key.length === 1 ? e.key.toLowerCase() : e.key] ?? map[e.key];
  return action ? { action } : null;
}

/** Typing in a field must not trigger shortcuts (except Escape and Ctrl+Enter). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
  if (tag !== 'INPUT') return false;
  const type = (el as HTMLInputElement).type;
  return !['range', 'checkbox', 'radio', 'button', 'submit'].includes(type);
}
