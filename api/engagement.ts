import type { EventDoc } from '../db/types';

interface Counter {
  count: number;
  first: string | null;
  last: string | null;
}

/**
 * Opens (people's apart from machine opens such as Apple Mail Privacy Protection), clicks and each
 * clicked URL of one email, from its stored (deduplicated) events. Counted on read rather than
 * with $inc on the email record: the workflow writes that record at the same moments, and a second
 * writer per document is how updates get lost on servers without document-level atomicity.
 */
export function engagementOf(events: EventDoc[]) {
  const opens = counter();
  const clicks = counter();
  const machineOpens = counter();
  const urls = new Map<string, number>();
  for (const event of events) {
    if (event.event === 'open') count(event.raw.sg_machine_open === true ? machineOpens : opens, event);
    if (event.event === 'click') {
      count(clicks, event);
      const url = typeof event.raw.url === 'string' ? event.raw.url : '(unknown)';
      urls.set(url, (urls.get(url) ?? 0) + 1);
    }
  }
  const clickedUrls = [...urls].map(([url, n]) => ({ url, count: n })).sort((a, b) => b.count - a.count);
  return { opens, machineOpens, clicks: { ...clicks, urls: clickedUrls } };
}

const counter = (): Counter => ({ count: 0, first: null, last: null });

function count(c: Counter, event: EventDoc): void {
  const at = new Date(event.timestamp * 1000).toISOString();
  c.count++;
  if (!c.first || at < c.first) c.first = at;
  if (!c.last || at > c.last) c.last = at;
}
