import { useEffect, useRef } from 'react';
import type { Action } from './bindings';
import { actionForKey, isTypingTarget, type ActionId } from './table';

/**
 * Runs the action of a key pressed anywhere in the window. The listener is installed once and
 * reads the latest bound actions, so dragging or typing does not rebuild it on every change.
 */
export function useShortcuts(actions: Record<ActionId, Action>): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const spec = actionForKey(e);
      if (!spec) return;
      if (isTypingTarget(e.target) && !spec.whileTyping) return;
      const action = latest.current[spec.id];
      if (action.enabled()) action.run(e.key);
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
