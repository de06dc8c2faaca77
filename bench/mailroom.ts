/**
 * Mailroom's side of a sending run: single POST /v1/emails timed one by one (accept latency), then one
 * campaign of `n` recipients followed from its 202 to every email's final outcome. Progress comes from
 * the campaign's counters as the API shows them; the figures from the counter facts themselves, each
 * stamped when the worker recorded it, so they do not depend on how often the bench looked.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { type Counts, scopes } from '../db/counters';
import { FINAL_STATUSES } from '../workflows/status';
import { campaignBody } from './accept';
import { call, expectStatus } from './http';
import { CpuMeter, sample } from './procstat';
import { Progress } from './progress';
import { rate, round } from './stats';

export interface MemoryPoint {
  /** Emails finished (final outcome) when it was read. */
  finished: number;
  rssMb: Record<string, number>;
}

export interface SendingResult {
  emails: number;
  campaignAcceptMs: number;
  secondsToSent: number;
  sentPerSecond: number;
  /** Between the 10th and the 90th percentile of sent: the rate once ramped up, before the tail. */
  sustainedSentPerSecond: number;
  secondsToFinal: number;
  finalPerSecond: number;
  outcomes: Partial<Counts>;
  /** mail/send requests made, retries after 429 or 5xx included. */
  sendAttempts: number;
  /** Share of one core each process used from the POST to the last final outcome. */
  cpu: Record<string, number>;
  memory: { points: MemoryPoint[]; peakMb: Record<string, number> };
  /** GET /v1/campaigns/:id answers other than 200 while following the campaign. */
  viewErrors: number;
  /** Set when the run stopped before every email was final. */
  incomplete?: string;
}

export interface Target {
  apiUrl: string;
  mongoUri: string;
  db: string;
  /** Processes whose memory and CPU are followed, by name. */
  pids: Record<string, number>;
}

const FINAL = FINAL_STATUSES as readonly string[];
const STALL_MS = 120_000;
const VIEW_TIMEOUT_MS = 15_000;

export async function runCampaign(
  target: Target,
  label: string,
  n: number,
  maxSeconds: number,
): Promise<SendingResult> {
  const body = campaignBody(`bench ${label}`, n, `person-${label}`);
  const cpu = new CpuMeter(() => target.pids);
  const startedAt = Date.now();
  const accepted = expectStatus(await call('POST', `${target.apiUrl}/v1/campaigns`, body), 202, 'campaign');
  const id = accepted.body.id as string;

  const progress = new Progress(`mailroom ${label}`, n);
  const points: MemoryPoint[] = [];
  const peakMb: Record<string, number> = {};
  let last = { sent: -1, final: -1, at: Date.now() };
  let incomplete: string | undefined;
  let viewErrors = 0;
  for (;;) {
    if (Date.now() - startedAt > maxSeconds * 1000) {
      incomplete = `stopped after ${maxSeconds} s (--max-seconds)`;
      break;
    }
    const view = await call(
      'GET',
      `${target.apiUrl}/v1/campaigns/${id}`,
      undefined,
      {},
      VIEW_TIMEOUT_MS,
    ).catch(() => undefined);
    if (view?.status !== 200) {
      // A 500 or a slow answer is the API's to fix, not a reason to lose the run: look again.
      viewErrors++;
      await delay(1000);
      continue;
    }
    const counts = view.body.progress as Counts;
    const final = finalOf(counts);
    const rssMb: Record<string, number> = {};
    for (const [name, pid] of Object.entries(target.pids)) {
      const s = sample(pid);
      if (!s) continue;
      rssMb[name] = round(s.rssMb);
      peakMb[name] = round(Math.max(peakMb[name] ?? 0, s.peakMb));
    }
    points.push({ finished: final, rssMb });
    progress.update(counts.sent, `sent · ${final.toLocaleString('en-US')} final`);
    if (final >= n) break;
    if (counts.sent !== last.sent || final !== last.final)
      last = { sent: counts.sent, final, at: Date.now() };
    else if (Date.now() - last.at > STALL_MS) {
      incomplete = `no progress for ${STALL_MS / 1000} s at ${counts.sent} sent, ${final} final`;
      break;
    }
    await delay(1000);
  }
  const endedAt = Date.now();
  const cpuShares = cpu.read();
  const facts = await factTimes(target, scopes.campaign(id));
  progress.finish(facts.sent.length, `sent · ${facts.final.length.toLocaleString('en-US')} final`);

  // A few idle seconds: what stays once the work is done.
  await delay(5000);
  const after: Record<string, number> = {};
  for (const [name, pid] of Object.entries(target.pids)) after[name] = round(sample(pid)?.rssMb ?? NaN);
  points.push({ finished: facts.final.length, rssMb: after });

  // Stopped early, the rates are what got done in the time it had.
  const stoppedAt = incomplete ? endedAt : undefined;
  const secondsToSent = ((stoppedAt ?? last_(facts.sent)) - startedAt) / 1000;
  const secondsToFinal = ((stoppedAt ?? last_(facts.final)) - startedAt) / 1000;
  return {
    emails: n,
    campaignAcceptMs: Math.round(accepted.ms),
    secondsToSent: round(secondsToSent, 2),
    sentPerSecond: rate(facts.sent.length / secondsToSent),
    sustainedSentPerSecond: sustained(facts.sent),
    secondsToFinal: round(secondsToFinal, 2),
    finalPerSecond: rate(facts.final.length / secondsToFinal),
    outcomes: facts.outcomes,
    sendAttempts: facts.attempts,
    cpu: cpuShares,
    viewErrors,
    memory: { points: pick(points), peakMb },
    ...(incomplete && { incomplete }),
  };
}

function finalOf(counts: Partial<Counts>): number {
  return FINAL.reduce((sum, metric) => sum + (counts[metric as keyof Counts] ?? 0), 0);
}

const last_ = (times: number[]) => times[times.length - 1] ?? NaN;

/** Emails per second between the 10th and the 90th percentile of sorted times. */
function sustained(times: number[]): number {
  const at = (share: number) => times[Math.floor(share * (times.length - 1))];
  const seconds = (at(0.9) - at(0.1)) / 1000;
  return times.length >= 10 && seconds > 0 ? rate((0.8 * times.length) / seconds) : NaN;
}

/** When each email of the scope was sent and reached its outcome, read from the counter facts. */
async function factTimes(target: Target, scope: string) {
  const client = new MongoClient(target.mongoUri);
  try {
    const db = client.db(target.db);
    const facts = await db
      .collection<{ metric: string; delta: number; at: Date }>('counter_facts')
      .find({ scope, delta: 1 })
      .project<{ metric: string; at: Date }>({ metric: 1, at: 1 })
      .toArray();
    const sent = facts.filter((f) => f.metric === 'sent').map((f) => f.at.getTime());
    const final = facts.filter((f) => FINAL.includes(f.metric)).map((f) => f.at.getTime());
    const outcomes: Partial<Counts> = {};
    for (const f of facts) {
      if (FINAL.includes(f.metric))
        outcomes[f.metric as keyof Counts] = (outcomes[f.metric as keyof Counts] ?? 0) + 1;
    }
    const [attempts] = await db
      .collection('emails')
      .aggregate<{ n: number }>([
        { $match: { campaignId: scope.slice(scope.indexOf(':') + 1) } },
        { $group: { _id: null, n: { $sum: '$provider.attempts' } } },
      ])
      .toArray();
    return {
      sent: sent.sort((a, b) => a - b),
      final: final.sort((a, b) => a - b),
      outcomes,
      attempts: attempts?.n ?? 0,
    };
  } finally {
    await client.close();
  }
}

/**
 * Memory when a quarter, half, three quarters and all of the emails that finished had finished, and
 * 5 s after (the last point).
 */
function pick(points: MemoryPoint[]): MemoryPoint[] {
  const reached = Math.max(...points.slice(0, -1).map((p) => p.finished));
  const chosen = [0.25, 0.5, 0.75, 1].flatMap((share) => {
    const point = points.find((p) => p.finished >= share * reached);
    return point ? [point] : [];
  });
  return [points[0], ...chosen, points[points.length - 1]].filter((p, i, all) => p && all.indexOf(p) === i);
}
