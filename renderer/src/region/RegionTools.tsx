import { ActionButton } from '../actions/ActionButton';
import type { Action } from '../actions/bindings';
import { actionsAt, type ActionId } from '../actions/table';

/** The region tool's buttons, floating in the viewer's lower right corner (the bars above are full at 1280 px). */
export function RegionTools({ actions }: { actions: Record<ActionId, Action> }) {
  return (
    <div className="region-tools" data-testid="region-tools">
      {actionsAt('region').map((a) => <ActionButton key={a.id} action={actions[a.id]} />)}
    </div>
  );
}
