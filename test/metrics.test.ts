/**
 * GET /metrics on the API and on the worker, scraped from the running system: request latency by route
 * template, webhook events by type, signals by result, the relay backlog, emails by final outcome, and
 * the Temporal SDK's own worker metrics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../lib/ids';
import { sendTaskQueueOf } from '../workflows/task-queues';
import { address, sendEmail, waitForStatus } from './support/emails';
import { sgEvent } from './support/events';
import { type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('metrics');
});
after(async () => {
  await sys?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  contentType: string | null;
  text: string;
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
}

/** Prometheus's text format, as far as these tests read it. */
function parseExposition(text: string): Pick<Scrape, 'samples' | 'types'> {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { samples, types };
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
  const text = await res.text();
  return { contentType: res.headers.get('content-type'), text, ...parseExposition(text) };
}

const scrapeApi = () => scrape(`${sys.api.url}/metrics`);
const scrapeWorker = () => scrape(sys.worker.metricsUrl);

/** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
function valueOf(scraped: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = scraped.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return matching.length ? matching.reduce((sum, s) => sum + s.value, 0) : undefined;
}

/** Polls the scrape until `name{labels}` reaches at least `atLeast`; returns that scrape. */
async function waitForValue(
  read: () => Promise<Scrape>,
  name: string,
  labels: Record<string, string>,
  atLeast: number,
): Promise<Scrape> {
  let last: number | undefined;
  try {
    return await waitFor(
      async () => {
        const scraped = await read();
        last = valueOf(scraped, name, labels);
        return last !== undefined && last >= atLeast ? scraped : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: `${name}${JSON.stringify(labels)} >= ${atLeast}` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last value: ${String(last)})`);
  }
}

describe('the API', () => {
  it('serves /metrics without an API key, in Prometheus text format', async () => {
    const res = await fetch(`${sys.api.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const scraped = parseExposition(await res.text());
    assert.equal(scraped.types.get('http_request_duration_seconds'), 'histogram');
    assert.equal(scraped.types.get('mailroom_webhook_events_total'), 'counter');
    assert.equal(scraped.types.get('mailroom_workflow_signals_total'), 'counter');
    assert.equal(scraped.types.get('mailroom_webhook_batches_pending'), 'gauge');
    assert.ok(scraped.types.has('process_cpu_seconds_total'), 'Node process metrics');
  });

  it('times each request by method, route template and status, never by the raw path', async () => {
    const id = await sendEmail(sys, address('someone'));
    assert.equal((await sys.call('GET', `/v1/emails/${id}`)).status, 200);
    assert.equal((await sys.call('GET', '/v1/emails/em_doesnotexist')).status, 404);
    assert.equal((await sys.call('GET', '/v1/no-such-route')).status, 404);
    assert.equal((await sys.call('GET', `/v1/emails/${id}`, undefined, {})).status, 401);
    // Its webhook events all in, so none is counted during a later test's before-and-after.
    await waitForStatus(sys, id, ['delivered']);

    const count = 'http_request_duration_seconds_count';
    const scraped = await waitForValue(
      scrapeApi,
      count,
      { method: 'GET', route: '/v1/emails/:id', status_code: '200' },
      1,
    );
    // A route that threw (404 for an unknown id) keeps its template, mount path included.
    assert.ok(valueOf(scraped, count, { method: 'GET', route: '/v1/emails/:id', status_code: '404' }));
    assert.ok(valueOf(scraped, count, { method: 'POST', route: '/v1/emails', status_code: '202' }));
    // Answered before any route matched: no route, no path.
    assert.ok(valueOf(scraped, count, { method: 'GET', route: 'unmatched', status_code: '404' }));
    assert.ok(valueOf(scraped, count, { method: 'GET', route: 'unmatched', status_code: '401' }));
    assert.ok(
      valueOf(scraped, 'http_request_duration_seconds_bucket', { route: '/v1/emails/:id', le: '+Inf' }),
    );
    const routes = new Set(scraped.samples.flatMap((s) => (s.labels.route ? [s.labels.route] : [])));
    for (const route of routes) {
      assert.ok(!route.includes(id) && !route.includes('em_doesnotexist'), `raw path as a label: ${route}`);
    }
  });

  it('counts stored webhook events by type, duplicates apart, and the signals they became', async () => {
    const to = address('someone');
    const id = await sendEmail(sys, to);
    await waitForStatus(sys, id, ['delivered']);
    // The sandbox posted processed and delivered; delivered reached the workflow while it ran, and
    // processed, which changes nothing there, was stored without a signal.
    await waitForValue(scrapeApi, 'mailroom_webhook_events_total', { event: 'processed' }, 1);
    await waitForValue(scrapeApi, 'mailroom_workflow_signals_total', { result: 'ok' }, 1);

    const beforeOpen = await scrapeApi();
    const opens = () => valueOf(beforeOpen, 'mailroom_webhook_events_total', { event: 'open' }) ?? 0;
    const signals = (s: Scrape) =>
      (valueOf(s, 'mailroom_workflow_signals_total', { result: 'ok' }) ?? 0) +
      (valueOf(s, 'mailroom_workflow_signals_total', { result: 'late' }) ?? 0);
    const batch = [sgEvent(to, 'open', { mailroom_email_id: id })];
    assert.deepEqual((await sys.postWebhook(batch)).body, { stored: 1, duplicates: 0 });
    const afterOpen = await waitForValue(
      scrapeApi,
      'mailroom_webhook_events_total',
      { event: 'open' },
      opens() + 1,
    );
    // The workflow ends once delivered: the open reached it (ok) or its record directly (late).
    assert.equal(signals(afterOpen), signals(beforeOpen) + 1);

    const duplicatesBefore =
      valueOf(afterOpen, 'mailroom_webhook_duplicate_events_total', { event: 'open' }) ?? 0;
    assert.deepEqual((await sys.postWebhook(batch)).body, { stored: 0, duplicates: 1 });
    const afterRepeat = await waitForValue(
      scrapeApi,
      'mailroom_webhook_duplicate_events_total',
      { event: 'open' },
      duplicatesBefore + 1,
    );
    assert.equal(valueOf(afterRepeat, 'mailroom_webhook_events_total', { event: 'open' }), opens() + 1);
    assert.equal(signals(afterRepeat), signals(afterOpen), 'a duplicate is not signaled');
  });

  it('reports the relay backlog: pending webhook batches and the age of the oldest', async () => {
    // Dated ahead, so the relay (which takes batches older than its grace period) leaves it alone.
    const batchId = newId('wb');
    await sys.stores.batches.open({
      _id: batchId,
      receivedAt: new Date(Date.now() + 3_600_000),
      events: 0,
      pending: true,
    });
    const pending = await waitForValue(scrapeApi, 'mailroom_webhook_batches_pending', {}, 1);
    const age = valueOf(pending, 'mailroom_webhook_batches_oldest_pending_seconds');
    assert.ok(age !== undefined && Number.isFinite(age) && age >= 0, `oldest pending age ${age}`);

    await sys.stores.batches.done(batchId);
    await waitFor(async () => valueOf(await scrapeApi(), 'mailroom_webhook_batches_pending') === 0, {
      timeoutMs: 15_000,
      message: 'no pending webhook batch',
    });
  });
});

describe('the worker', () => {
  it('counts emails by final outcome, and serves the Temporal SDK metrics with its own', async () => {
    const delivered = await sendEmail(sys, address('someone'));
    const bounced = await sendEmail(sys, address('bounce'));
    await waitForStatus(sys, delivered, ['delivered']);
    await waitForStatus(sys, bounced, ['bounced']);

    const finished = 'mailroom_emails_finished_total';
    await waitForValue(scrapeWorker, finished, { result: 'delivered' }, 1);
    const scraped = await waitForValue(scrapeWorker, finished, { result: 'bounced' }, 1);
    assert.match(scraped.contentType ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(scraped.types.get(finished), 'counter');
    // Every final result is there from the start, at 0 until one happens.
    assert.equal(valueOf(scraped, finished, { result: 'unconfirmed' }), 0);

    // The SDK's own: activity latency by type, among others; exported by its core shortly after use.
    const sdk = await waitForValue(
      scrapeWorker,
      'temporal_activity_execution_latency_seconds_count',
      // sendEmail: the one activity task each email has (the database steps run as local activities).
      { activity_type: 'sendEmail', task_queue: sendTaskQueueOf(sys.env.worker.TEMPORAL_TASK_QUEUE) },
      2,
    );
    assert.ok(
      sdk.samples.some((s) => s.name.startsWith('temporal_worker_task_slots_available')),
      'temporal_worker_task_slots_available',
    );
  });

  it('answers 404 for anything but /metrics', async () => {
    const res = await fetch(new URL('/', sys.worker.metricsUrl));
    assert.equal(res.status, 404);
    await res.body?.cancel();
  });
});
