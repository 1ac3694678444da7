import type { MediatorChange, UpstreamMediatorStatus } from '@proxy-mediator/proxy-mediator'
import type { ProxyMediatorControl } from '../web/ProxyMediatorControl'
import { BadRequestError } from '../web/errorResponses'

/**
 * An action on one external mediator, taken from the page: a form in the mediator's row that
 * posts to `POST /ui/mediators/:id/:action`.
 */
export interface MediatorAction {
  /** The `:action` of the route, e.g. `promote`. */
  name: string
  /** The button's text. */
  label: string
  /** The fixed notice after it succeeded (nothing of the request is reflected). */
  done: string
  /**
   * A box to tick before the button does anything, for an action that loses something; the page
   * asks for it in the form (`required`) and the route refuses the post without it.
   */
  confirmation?: string
  /** Whether the row of this mediator offers the action (the module refuses the others anyway). */
  offeredFor(mediator: UpstreamMediatorStatus, all: readonly UpstreamMediatorStatus[]): boolean
  /** Calls the module; its errors are shown on the page like those of the set-up form. */
  run(control: ProxyMediatorControl, mediatorId: string): Promise<MediatorChange>
}

/** The form field of a confirmation, and the value the ticked box sends. */
export const CONFIRM_FIELD = 'confirm'
export const CONFIRM_VALUE = 'abandon'

/**
 * The mediator actions of the page, through `ProxyMediatorControl`; the forms and the route follow
 * from this list. Removing by force abandons what the mediator still holds, so it needs the box.
 */
export const MEDIATOR_ACTIONS: readonly MediatorAction[] = [
  {
    name: 'promote',
    label: 'Make primary',
    done: 'The mediator is primary now: new grants name it, the previous primary drains, and the agents were sent the new route.',
    offeredFor: (mediator) => mediator.role !== 'primary',
    run: (control, id) => control.promoteMediator(id),
  },
  {
    name: 'drain',
    label: 'Drain',
    done: 'The mediator drains: it is still picked up from, and named in no new grant.',
    offeredFor: (mediator) => mediator.role === 'standby',
    run: (control, id) => control.drainMediator(id),
  },
  {
    name: 'remove',
    label: 'Remove',
    done: 'The mediator was removed; it held nothing for the proxy.',
    offeredFor: (mediator, all) => mediator.role !== 'primary' || all.length === 1,
    run: (control, id) => control.removeMediator(id),
  },
  {
    name: 'remove-by-force',
    label: 'Remove by force',
    done: 'The mediator was removed by force; what it still held is abandoned (the log says how much).',
    confirmation:
      'I understand: the messages this mediator still holds for the proxy, and the relays in flight from it, are abandoned.',
    offeredFor: (mediator, all) => mediator.role !== 'primary' || all.length === 1,
    run: (control, id) => control.removeMediator(id, { force: true }),
  },
]

export function findMediatorAction(name: string): MediatorAction | undefined {
  return MEDIATOR_ACTIONS.find((action) => action.name === name)
}

/** Refuses the post of an action that needs its box ticked when the box was not. */
export function checkConfirmation(action: MediatorAction, form: Record<string, unknown> | undefined): void {
  if (action.confirmation && form?.[CONFIRM_FIELD] !== CONFIRM_VALUE) {
    throw new BadRequestError(
      `Nothing was done: "${action.label}" needs its box ticked first, to confirm that what the mediator holds is abandoned.`,
      'confirmation_required',
    )
  }
}
