import type { Step } from './events';

/**
 * Which behaviour a recipient gets is spelled in its address, so a test (or a person trying the app)
 * picks an outcome by writing to e.g. bounce+42@example.com. Only the local part before "+" counts.
 */
const deliveryTimelines = {
  deliver: [{ event: 'processed' }, { event: 'delivered' }],
  bounce: [{ event: 'processed' }, { event: 'bounce', type: 'bounce' }],
  block: [{ event: 'processed' }, { event: 'bounce', type: 'blocked' }],
  defer: [
    { event: 'processed' },
    { event: 'deferred', attempt: 1 },
    { event: 'deferred', attempt: 2 },
    { event: 'delivered' },
  ],
  drop: [{ event: 'dropped' }],
  spam: [{ event: 'processed' }, { event: 'delivered' }, { event: 'spamreport' }],
  open: [{ event: 'processed' }, { event: 'delivered' }, { event: 'open' }],
  click: [{ event: 'processed' }, { event: 'delivered' }, { event: 'open' }, { event: 'click' }],
  silent: [{ event: 'processed' }],
} satisfies Record<string, Step[]>;

export type DeliveryBehaviour = keyof typeof deliveryTimelines;

/** Behaviours that change mail/send's own answer rather than what happens after a 202. */
export type RequestBehaviour = 'reject' | 'error' | 'throttle';

export type Behaviour = DeliveryBehaviour | RequestBehaviour;

const requestBehaviours: readonly string[] = ['reject', 'error', 'throttle'] satisfies RequestBehaviour[];

export function behaviourOf(address: string): Behaviour {
  const local = address.split('@')[0].split('+')[0].toLowerCase();
  if (Object.hasOwn(deliveryTimelines, local)) return local as DeliveryBehaviour;
  if (requestBehaviours.includes(local)) return local as RequestBehaviour;
  return 'deliver';
}

/** The events a recipient gets after a 202, in order; request behaviours were already spent on the answer. */
export function timelineOf(address: string): Step[] {
  const behaviour = behaviourOf(address);
  return behaviour in deliveryTimelines
    ? deliveryTimelines[behaviour as DeliveryBehaviour]
    : deliveryTimelines.deliver;
}
