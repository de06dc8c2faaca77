/**
 * Accepting: single POST /v1/emails timed one by one (accept latency), then a blast, POST /v1/campaigns
 * with `campaignSize` recipients until its 202, against the floor of inserting the same documents with
 * one plain insertMany into the same database: the campaign's email records, as the worker writes them
 * when it reaches each recipient. The API runs alone (no worker polls its task queue), so the campaign
 * is stored and its workflow started, but nothing is sent: this is the API's own cost, with nothing
 * else competing for the machine.
 */
import { MongoClient } from 'mongodb';
import { CampaignRecipientStore } from '../db/campaign-recipients';
import { EmailStore } from '../db/emails';
import type { CampaignDoc, EmailDoc } from '../db/types';
import { campaignEmailDoc } from '../lib/campaign-emails';
import { forEachLimit } from '../lib/pool';
import { call, expectStatus } from './http';
import { sample } from './procstat';
import { type Infra, startApiPart } from './stack';
import { Progress, note } from './progress';
import { latencySummary, round } from './stats';

export interface AcceptResult {
  /** Single POST /v1/emails, each until its 202. */
  singles?: ReturnType<typeof latencySummary> & { concurrency: number };
  recipients: number;
  bodyMb: number;
  /** POST until the 202, as the client sees it. */
  acceptMs: number;
  /** One insertMany of the campaign's email documents, into a collection with only the _id index. */
  insertManyMs: number;
  /** The same into a collection with the indexes `emails` has. */
  insertManyIndexedMs: number;
  apiPeakMb: number;
}

const DB = 'bench_accept';

export function campaignBody(name: string, recipients: number, prefix: string): string {
  return JSON.stringify({
    name,
    subject: 'Spring launch',
    text: 'Hello, our spring collection is out. Reply STOP to opt out.',
    recipients: Array.from({ length: recipients }, (_, i) => ({
      to: { email: `${prefix}-${i}@example.com`, name: `Recipient ${i}` },
    })),
  });
}

export async function measureAccept(
  infra: Infra,
  opts: {
    campaignSize: number;
    singles: number;
    singlesConcurrency: number;
    signingKey: string;
    dir: string;
    profile: boolean;
  },
): Promise<AcceptResult> {
  note(
    `accept: a ${opts.campaignSize.toLocaleString('en-US')}-recipient campaign, then insertMany of the same`,
  );
  const api = await startApiPart('api-accept', {
    infra,
    db: DB,
    taskQueue: 'bench-accept',
    signingKey: opts.signingKey,
    dir: opts.dir,
    profile: opts.profile,
  });
  const mongo = new MongoClient(infra.mongoUri);
  try {
    // Warm: the first request of a fresh process compiles the code paths on the way.
    expectStatus(
      await call('POST', `${api.url}/v1/campaigns`, campaignBody('warm-up', 1_000, 'warm')),
      202,
      'warm-up campaign',
    );
    const singles =
      opts.singles > 0 ? await measureSingles(api.url, opts.singles, opts.singlesConcurrency) : undefined;
    const body = campaignBody('blast', opts.campaignSize, 'blast');
    const answer = expectStatus(await call('POST', `${api.url}/v1/campaigns`, body), 202, 'campaign');
    if (answer.body.total !== opts.campaignSize)
      throw new Error(`the campaign took ${answer.body.total} of ${opts.campaignSize} recipients`);
    const apiPeakMb = sample(api.pid)?.peakMb ?? NaN;
    note(`accept: 202 after ${(answer.ms / 1000).toFixed(2)} s`);

    await mongo.connect();
    const db = mongo.db(DB);
    // The campaign's email records as the worker writes them when it reaches each recipient.
    const campaign = await db.collection<CampaignDoc>('campaigns').findOne({ _id: answer.body.id });
    if (!campaign?.recipientChunk) throw new Error(`campaign ${answer.body.id} has no stored recipients`);
    const recipients = new CampaignRecipientStore(db.collection('campaign_recipients'));
    const entries = await recipients.slice(campaign._id, 0, campaign.total, campaign.recipientChunk);
    const now = new Date();
    const docs = entries.map(({ seq, recipient }) => campaignEmailDoc(campaign, recipient, seq, now));
    const plain = db.collection<EmailDoc>('floor_plain');
    const insertManyMs = await timed(() => plain.insertMany(docs));
    note(`accept: insertMany ${(insertManyMs / 1000).toFixed(2)} s (_id index only)`);
    const indexed = db.collection<EmailDoc>('floor_indexed');
    await new EmailStore(indexed).ensureIndexes();
    const insertManyIndexedMs = await timed(() => indexed.insertMany(docs));
    note(`accept: insertMany ${(insertManyIndexedMs / 1000).toFixed(2)} s (with the indexes of emails)`);
    return {
      ...(singles && { singles }),
      recipients: opts.campaignSize,
      bodyMb: round(Buffer.byteLength(body) / 2 ** 20),
      acceptMs: Math.round(answer.ms),
      insertManyMs: Math.round(insertManyMs),
      insertManyIndexedMs: Math.round(insertManyIndexedMs),
      apiPeakMb: round(apiPeakMb),
    };
  } finally {
    await api.stop();
    await mongo
      .db(DB)
      .dropDatabase()
      .catch(() => undefined);
    await mongo.close();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function measureSingles(apiUrl: string, count: number, concurrency: number) {
  const progress = new Progress('accept latency (POST /v1/emails)', count);
  const latencies: number[] = [];
  await forEachLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const answer = await call('POST', `${apiUrl}/v1/emails`, {
        to: `single-${i}@example.com`,
        subject: 'Your receipt',
        text: 'Thank you for your order.',
      });
      expectStatus(answer, 202, 'POST /v1/emails');
      latencies.push(answer.ms);
      progress.update(latencies.length);
    },
  );
  const summary = { ...latencySummary(latencies), concurrency };
  progress.finish(count, `p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms`);
  return summary;
}
