import type { ProxyMediatorControl } from '../http/ProxyMediatorControl'

/**
 * An action on one external mediator, taken from the page: a button in the mediator's row that
 * posts to `POST /ui/mediators/:id/:action`.
 */
export interface MediatorAction {
  /** The `:action` of the route, e.g. `promote`. */
  name: string
  /** The button's text. */
  label: string
  /** Calls the module; its errors are shown on the page like those of the set-up form. */
  run(control: ProxyMediatorControl, mediatorId: string): Promise<unknown>
}

/**
 * THE PLACE FOR THE MEDIATOR ACTIONS (promote, drain, remove). Empty on purpose: the module has
 * no such calls yet, and the page must not invent them. When the module has them, add them to
 * `ProxyMediatorControl` and one entry each here; the buttons and the route follow from this list:
 *
 *   { name: 'drain', label: 'Drain', run: (control, id) => control.drainMediator(id) },
 */
export const MEDIATOR_ACTIONS: readonly MediatorAction[] = []

export function findMediatorAction(name: string): MediatorAction | undefined {
  return MEDIATOR_ACTIONS.find((action) => action.name === name)
}
