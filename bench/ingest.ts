/**
 * Webhook ingest at full speed: signed batches posted straight to POST /v1/webhooks/sendgrid,
 * `concurrency` at once (SendGrid posts from many servers in parallel), each event naming one of the
 * emails the sending run just finished, so every event is stored, deduplicated, counted and signaled
 * (its workflow has ended: the late path) as in production. The same load is then posted to an API
 * started with SENDGRID_WEBHOOK_VERIFY=false, on other emails, to price the signature check.
 */
import { MongoClient } from 'mongodb';
import { forEachLimit } from '../lib/pool';
import { parseSigningKey, signatureHeaders } from '../sandbox/signing';
import { CpuMeter } from './procstat';
import { Progress } from './progress';
import { latencySummary, rate, round } from './stats';

export interface IngestPass {
  verify: boolean;
  events: number;
  batches: number;
  /** Posts not answered 200 within POST_TIMEOUT_MS: SendGrid would post them again. */
  failed: number;
  seconds: number;
  eventsPerSecond: number;
  /** Per webhook request, as the poster sees it. */
  latency: ReturnType<typeof latencySummary>;
  latenciesMs: number[];
  cpu: Record<string, number>;
  /**
   * From the first post until the relay had applied every stored batch (suppression, counters, signals):
   * the webhook answers once events are stored, and the relay applies them after. Null: not within
   * APPLY_TIMEOUT_MS.
   */
  appliedSeconds: number | null;
}

/** SendGrid's own patience with a webhook post is unpublished; a post slower than this counts as failed. */
const POST_TIMEOUT_MS = 60_000;

const APPLY_TIMEOUT_MS = 600_000;

/** What one delivered, opened and clicked email sends over its life. */
const LIFE = ['processed', 'delivered', 'open', 'click'] as const;

export async function emailsOf(mongoUri: string, db: string): Promise<{ id: string; to: string }[]> {
  const client = new MongoClient(mongoUri);
  try {
    const docs = await client
      .db(db)
      .collection<{ _id: string; to: { email: string } }>('emails')
      .find({})
      .project<{ _id: string; to: { email: string } }>({ 'to.email': 1 })
      .toArray();
    return docs.map((d) => ({ id: d._id, to: d.to.email }));
  } finally {
    await client.close();
  }
}

/** Batches of SendGrid events for `emails`, each email's events together as SendGrid tends to post them. */
export function eventBatches(
  emails: { id: string; to: string }[],
  count: number,
  batchSize: number,
  tag: string,
  /** Unix seconds of the first event; events of the same email, type and time are one event. */
  base: number,
): Buffer[] {
  const events = Array.from({ length: count }, (_, i) => {
    const email = emails[Math.floor(i / LIFE.length) % emails.length];
    const event = LIFE[i % LIFE.length];
    // A round past the end of the list gets later timestamps, so its events are new, not duplicates.
    const round = Math.floor(i / (LIFE.length * emails.length));
    return {
      email: email.to,
      timestamp: base + round * 60 + (i % LIFE.length),
      event,
      sg_event_id: `${tag}-${i}`,
      sg_message_id: `${email.id}.filterdrecv-bench`,
      'smtp-id': `<${email.id}@mailroom.test>`,
      category: [],
      mailroom_email_id: email.id,
      ...(event === 'delivered' && { response: '250 2.0.0 OK', tls: 1 }),
      ...(event === 'open' && { useragent: 'Mozilla/5.0', ip: '203.0.113.7', sg_machine_open: false }),
      ...(event === 'click' && {
        url: 'https://mailroom.test/spring',
        url_offset: { index: 0, type: 'html' },
        useragent: 'Mozilla/5.0',
        ip: '203.0.113.7',
      }),
    };
  });
  const batches: Buffer[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    batches.push(Buffer.from(JSON.stringify(events.slice(i, i + batchSize))));
  }
  return batches;
}

export async function ingestPass(opts: {
  url: string;
  verify: boolean;
  batches: Buffer[];
  concurrency: number;
  /** No new post starts after this long; the rate is what was stored in the time taken. */
  maxSeconds: number;
  signingKey: string;
  pids: Record<string, number>;
  /** Webhook batches stored and not yet applied by the relay. */
  backlog: () => Promise<number>;
}): Promise<IngestPass> {
  // Signed up front, so the poster's own work stays out of the timing.
  const key = parseSigningKey(opts.signingKey);
  const signed = opts.batches.map((body) => ({ body, headers: signatureHeaders(key, body) }));
  const total = opts.batches.reduce(
    (sum, body) => sum + (JSON.parse(body.toString()) as unknown[]).length,
    0,
  );
  const progress = new Progress(`webhook ingest (verify ${opts.verify ? 'on' : 'off'})`, total);
  const latencies: number[] = [];
  let stored = 0;
  let batches = 0;
  let failed = 0;
  const cpu = new CpuMeter(() => opts.pids);
  const started = performance.now();
  const deadline = started + opts.maxSeconds * 1000;
  await forEachLimit(signed, opts.concurrency, async ({ body, headers }) => {
    if (performance.now() > deadline) return;
    const sent = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(opts.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      text = await response.text();
    } catch {
      failed++;
      return;
    }
    if (response.status !== 200) {
      failed++;
      return;
    }
    latencies.push(performance.now() - sent);
    const answer = JSON.parse(text) as { stored: number; duplicates: number };
    if (answer.duplicates > 0)
      throw new Error(`${answer.duplicates} events of a post were taken as duplicates`);
    stored += answer.stored;
    batches++;
    progress.update(stored);
  });
  const seconds = (performance.now() - started) / 1000;
  const shares = cpu.read();
  progress.finish(stored, `${(stored / seconds).toFixed(0)} events/s`);
  const appliedSeconds = await drained(opts.backlog, started);
  return {
    verify: opts.verify,
    events: stored,
    batches,
    failed,
    seconds: round(seconds, 2),
    eventsPerSecond: rate(stored / seconds),
    latency: latencySummary(latencies),
    latenciesMs: latencies.map((ms) => round(ms)),
    cpu: shares,
    appliedSeconds,
  };
}

/** Seconds from `started` until the backlog is empty, polled; null past APPLY_TIMEOUT_MS. */
async function drained(backlog: () => Promise<number>, started: number): Promise<number | null> {
  for (;;) {
    if ((await backlog()) === 0) return round((performance.now() - started) / 1000, 2);
    if (performance.now() - started > APPLY_TIMEOUT_MS) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Counts the webhook batches of `db` the relay has not applied yet. */
export function batchBacklog(client: MongoClient, db: string): () => Promise<number> {
  return () => client.db(db).collection('webhook_batches').countDocuments({ pending: true });
}
