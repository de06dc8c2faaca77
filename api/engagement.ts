import type { EventDoc } from '../db/types';

interface Counter {
  count: number;
  first: string | null;
  last: string | null;
}

/**
 * Opens and clicks of one email, from its stored (deduplicated) events. Counted on read rather than
 * with $inc on the email record: the workflow writes that record at the same moments, and a second
 * writer per document is how updates get lost on servers without document-level atomicity.
 */
export function engagementOf(events: EventDoc[]) {
  const opens = counter();
  const clicks = counter();
  let machineOpens = 0;
  for (const event of events) {
    if (event.event === 'open' && event.raw.sg_machine_open === true) machineOpens++;
    else if (event.event === 'open') count(opens, event);
    else if (event.event === 'click') count(clicks, event);
  }
  return { opens, machineOpens, clicks };
}

const counter = (): Counter => ({ count: 0, first: null, last: null });

function count(c: Counter, event: EventDoc): void {
  const at = new Date(event.timestamp * 1000).toISOString();
  c.count++;
  if (!c.first || at < c.first) c.first = at;
  if (!c.last || at > c.last) c.last = at;
}
