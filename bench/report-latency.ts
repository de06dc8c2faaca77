/**
 * `npm run bench:report [-- --emails 1000000]`: how fast a campaign report answers over a million
 * emails. Seeds the counter facts a campaign of that size leaves (sent, then delivered or bounced,
 * some opens and clicks) spread over three days, plus a minute of a blast still going (100 emails/s),
 * into a fresh FerretDB (or MONGODB_URI), then times reports as of now and as of past moments.
 */
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { startMongo } from '../dev/mongo';
import { type CounterMetric, CounterStore, scopes } from '../db/counters';

const { values } = parseArgs({ options: { emails: { type: 'string', default: '1000000' } } });
const EMAILS = Number(values.emails);
const SPAN_MS = 3 * 86_400_000;
const LIVE_PER_SECOND = 100;
const ROUNDS = 30;

/** The facts one email leaves, by its position: ~2.4 per email. */
function factsOf(i: number): CounterMetric[] {
  const facts: CounterMetric[] = ['sent'];
  if (i % 20 === 0) facts.push('bounced', 'hardBounced');
  else facts.push('delivered');
  if (i % 10 < 3) facts.push('opened');
  if (i % 20 === 1) facts.push('clicked');
  return facts;
}

async function main(): Promise<void> {
  const mongo = await startMongo();
  const client = await new MongoClient(mongo.uri).connect();
  const db = client.db('bench_report');
  await db.dropDatabase();
  const counters = new CounterStore(
    db.collection('counter_facts'),
    db.collection('counter_buckets'),
    db.collection('counter_rollups'),
  );
  await counters.ensureIndexes();
  const scope = scopes.campaign('cmp_bench');
  const now = Date.now();
  const start = now - SPAN_MS;

  const seeding = Date.now();
  let batch: { _id: string; scope: string; metric: CounterMetric; delta: number; at: Date }[] = [];
  let seeded = 0;
  const flush = async () => {
    if (batch.length) await db.collection('counter_facts').insertMany(batch as never[], { ordered: false });
    seeded += batch.length;
    batch = [];
  };
  for (let i = 0; i < EMAILS; i++) {
    // The last minute is a blast still going; the rest spread over three days.
    const live = i >= EMAILS - LIVE_PER_SECOND * 60;
    const at = live
      ? now - 60_000 + ((i - (EMAILS - LIVE_PER_SECOND * 60)) * 1000) / LIVE_PER_SECOND
      : start + Math.floor((i / EMAILS) * (SPAN_MS - 120_000));
    for (const metric of factsOf(i)) {
      batch.push({ _id: `${scope}|em_${i}:${metric}`, scope, metric, delta: 1, at: new Date(at) });
    }
    if (batch.length >= 10_000) {
      await flush();
      if (i % 100_000 < 4200) process.stderr.write(`\rseeding facts: ${i + 1} of ${EMAILS} emails`);
    }
  }
  await flush();
  const seedSeconds = (Date.now() - seeding) / 1000;
  process.stderr.write(`\rseeded ${seeded} facts for ${EMAILS} emails in ${seedSeconds.toFixed(0)} s\n`);

  const time = async (asOf: Date) => {
    const t = process.hrtime.bigint();
    const counts = await counters.totals(scope, asOf);
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, counts };
  };
  const first = await time(new Date());
  const expectedSent = EMAILS;
  if (first.counts.sent !== expectedSent)
    throw new Error(`sent ${first.counts.sent}, expected ${expectedSent}`);

  const nowTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) nowTimes.push((await time(new Date())).ms);
  const pastTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    pastTimes.push((await time(new Date(start + Math.random() * SPAN_MS))).ms);
  }
  const buckets = await db.collection('counter_buckets').countDocuments({ scope });
  const result = {
    emails: EMAILS,
    facts: seeded,
    buckets,
    firstReportMs: Math.round(first.ms),
    asOfNow: summary(nowTimes),
    asOfPast: summary(pastTimes),
    mongo: mongo.kind,
  };
  console.log(JSON.stringify(result, null, 2));
  await client.close();
  await mongo.stop();
}

function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]) };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
