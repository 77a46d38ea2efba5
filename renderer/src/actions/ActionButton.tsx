import type { Action } from './bindings';
import { keysShown } from './table';

/** The button of an action: its caption, its keys as a hint, disabled when the action cannot run. */
export function ActionButton({ action, className, hint = true }: { action: Action; className?: string; hint?: boolean }) {
  if (!action.shown() || !action.button) return null;
  const keys = keysShown(action);
  return (
    <button
      type="button"
      className={className}
      data-testid={action.button.testId}
      disabled={!action.enabled()}
      aria-pressed={action.pressed}
      title={keys ? `${action.help} (${keys})` : action.help}
      onClick={() => action.run()}
    >
      {action.caption()}
      {keys && hint ? <kbd>{keys}</kbd> : null}
    </button>
  );
}
