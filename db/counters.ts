import type { Collection } from 'mongodb';
import { ignoreDuplicates } from './errors';

/**
 * Delivery counters for reports and campaign progress, without scanning emails.
 *
 * Every countable fact ("em_1 was delivered", "em_1 was opened for the first time") is inserted once
 * per scope it counts in, under an id that makes a repeat a duplicate-key no-op: retried activities
 * and re-posted webhooks cannot count twice. Facts are never updated, because concurrent `$inc` on one
 * document loses updates on FerretDB (measured: 2,000 concurrent increments kept 136).
 *
 * Closed minutes are rolled up into one bucket document per scope and minute (MongoDB's bucket
 * pattern). A minute is closed once it ended SETTLE_MS ago, so a fact stamped inside it cannot still
 * be in flight; its bucket is then fixed and rewriting it gives the same figures, so concurrent
 * roll-ups are harmless. A report adds the buckets before `asOf`'s minute to the facts inside it:
 * exact to the fact, reading at most a minute (plus the settle time) of facts.
 *
 * Facts are stamped with the time Mailroom learned them, so a report "as of" a past time is
 * reproducible: what Mailroom knew then, not what it learned later about then.
 */
export const COUNTER_METRICS = [
  'sent',
  'delivered',
  'bounced',
  /** Bounces that were not blocks: the mailbox is bad. The circuit breaker judges these. */
  'hardBounced',
  'dropped',
  'suppressed',
  'rejected',
  'failed',
  'unconfirmed',
  'canceled',
  'deferred',
  'opened',
  'clicked',
  'spamReports',
  'unsubscribes',
] as const;

export type CounterMetric = (typeof COUNTER_METRICS)[number];
export type Counts = Record<CounterMetric, number>;

export interface Fact {
  /** Unique per email and fact, e.g. `em_1:opened`; the same key counts once. */
  key: string;
  metric: CounterMetric;
  /** +1, or -1 when a later event takes back an earlier outcome (delivered, then bounced). */
  delta: 1 | -1;
}

interface FactDoc {
  _id: string;
  scope: string;
  metric: CounterMetric;
  delta: number;
  at: Date;
}

interface BucketDoc {
  _id: string;
  scope: string;
  start: Date;
  counts: Partial<Counts>;
}

interface RollupDoc {
  _id: string;
  /** Every minute before this one has its bucket. */
  until: Date;
}

export const MINUTE_MS = 60_000;
export const SETTLE_MS = 10_000;

export const scopes = {
  all: 'all',
  campaign: (id: string) => `campaign:${id}`,
  category: (name: string) => `category:${name}`,
};

/** The scopes an email's facts count in. */
export function scopesOf(email: { campaignId: string | null; categories: string[] }): string[] {
  return [
    scopes.all,
    ...(email.campaignId ? [scopes.campaign(email.campaignId)] : []),
    ...email.categories.map(scopes.category),
  ];
}

/**
 * The facts an outcome counts as: +1 when reached, -1 when a later event takes it back. Keyed so each
 * happens once per email and outcome.
 */
export function outcomeFacts(
  emailId: string,
  outcome: { result: string; detail: Record<string, unknown> },
  delta: 1 | -1,
): Fact[] {
  const step = delta === 1 ? 'final' : 'undo';
  const facts: Fact[] = [
    { key: `${emailId}:${step}:${outcome.result}`, metric: outcome.result as CounterMetric, delta },
  ];
  if (outcome.result === 'bounced' && outcome.detail.bounceType !== 'blocked') {
    facts.push({ key: `${emailId}:${step}:hardBounced`, metric: 'hardBounced', delta });
  }
  return facts;
}

export function emptyCounts(): Counts {
  return Object.fromEntries(COUNTER_METRICS.map((m) => [m, 0])) as Counts;
}

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export class CounterStore {
  constructor(
    private readonly facts: Collection<FactDoc>,
    private readonly buckets: Collection<BucketDoc>,
    private readonly rollups: Collection<RollupDoc>,
  ) {}

  async ensureIndexes(): Promise<void> {
    await this.facts.createIndex({ scope: 1, at: 1 });
    await this.buckets.createIndex({ scope: 1, start: 1 });
  }

  /** Counts each fact once in each scope; repeats are ignored. */
  record(facts: Fact[], scopeList: string[], at = new Date()): Promise<void> {
    return this.recordAll([{ facts, scopes: scopeList }], at);
  }

  /** Many emails' facts in one write. */
  async recordAll(entries: { facts: Fact[]; scopes: string[] }[], at = new Date()): Promise<void> {
    const docs = entries.flatMap(({ facts, scopes: scopeList }) =>
      facts.flatMap((fact) =>
        scopeList.map((scope) => ({
          _id: `${scope}|${fact.key}`,
          scope,
          metric: fact.metric,
          delta: fact.delta,
          at,
        })),
      ),
    );
    if (docs.length === 0) return;
    await ignoreDuplicates(this.facts.insertMany(docs, { ordered: false }));
  }

  /** The scope's figures as they stood at `asOf`. */
  async totals(scope: string, asOf = new Date()): Promise<Counts> {
    const rolledUntil = await this.rollUp(scope);
    const cut = Math.min(floorMinute(asOf.getTime()), rolledUntil);
    const counts = emptyCounts();
    const closed = this.buckets
      .find({ scope, start: { $lt: new Date(cut) } })
      .project<BucketDoc>({ counts: 1 });
    for await (const bucket of closed) add(counts, bucket.counts);
    add(counts, await this.sumFacts(scope, new Date(cut), asOf));
    return counts;
  }

  /** Figures per interval (`intervalMs` a whole number of minutes) from `from` up to `to`. */
  async series(
    scope: string,
    from: Date,
    to: Date,
    intervalMs: number,
  ): Promise<{ start: Date; counts: Counts }[]> {
    const rolledUntil = await this.rollUp(scope);
    const starts: number[] = [];
    for (let t = from.getTime(); t < to.getTime(); t += intervalMs) starts.push(t);
    const points = starts.map((start) => ({ start: new Date(start), counts: emptyCounts() }));
    const slot = (ms: number) => Math.floor((ms - from.getTime()) / intervalMs);

    const closedEnd = Math.min(rolledUntil, to.getTime());
    const closed = this.buckets
      .find({ scope, start: { $gte: from, $lt: new Date(closedEnd) } })
      .project<BucketDoc>({ start: 1, counts: 1 });
    for await (const bucket of closed) {
      const point = points[slot(bucket.start.getTime())];
      if (point) add(point.counts, bucket.counts);
    }
    if (closedEnd < to.getTime()) {
      const open = this.facts.find({
        scope,
        at: { $gte: new Date(Math.max(closedEnd, from.getTime())), $lt: to },
      });
      for await (const fact of open.project<FactDoc>({ metric: 1, delta: 1, at: 1 })) {
        const point = points[slot(fact.at.getTime())];
        if (point) point.counts[fact.metric] += fact.delta;
      }
    }
    return points;
  }

  /** Writes the buckets of every closed minute not yet rolled up; returns where the buckets end. */
  private async rollUp(scope: string, now = Date.now()): Promise<number> {
    const closeUntil = floorMinute(now - SETTLE_MS);
    const known = await this.rollups.findOne({ _id: scope });
    let from = known?.until.getTime();
    if (from === undefined) {
      const first = await this.facts.find({ scope }).sort({ at: 1 }).limit(1).next();
      from = first ? floorMinute(first.at.getTime()) : closeUntil;
    }
    if (from >= closeUntil) return from;

    const minutes = new Map<number, Partial<Counts>>();
    const facts = this.facts
      .find({ scope, at: { $gte: new Date(from), $lt: new Date(closeUntil) } })
      .project<FactDoc>({ metric: 1, delta: 1, at: 1 });
    for await (const fact of facts) {
      const minute = floorMinute(fact.at.getTime());
      const counts = minutes.get(minute) ?? {};
      counts[fact.metric] = (counts[fact.metric] ?? 0) + fact.delta;
      minutes.set(minute, counts);
    }
    if (minutes.size > 0) {
      // Two roll-ups of one minute write the same figures; the one that loses the upsert race has
      // nothing left to write.
      await ignoreDuplicates(
        this.buckets.bulkWrite(
          [...minutes].map(([start, counts]) => ({
            replaceOne: {
              filter: { _id: `${scope}|${start}` },
              replacement: { scope, start: new Date(start), counts },
              upsert: true,
            },
          })),
          { ordered: false },
        ),
      );
    }
    await this.rollups.updateOne({ _id: scope }, { $set: { until: new Date(closeUntil) } }, { upsert: true });
    return closeUntil;
  }

  private async sumFacts(scope: string, from: Date, to: Date): Promise<Partial<Counts>> {
    const rows = await this.facts
      .aggregate<{ _id: CounterMetric; n: number }>([
        { $match: { scope, at: { $gte: from, $lte: to } } },
        { $group: { _id: '$metric', n: { $sum: '$delta' } } },
      ])
      .toArray();
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  }
}

function add(into: Counts, more: Partial<Counts>): void {
  for (const [metric, n] of Object.entries(more)) {
    if (metric in into) into[metric as CounterMetric] += n;
  }
}
