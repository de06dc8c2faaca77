/**
 * Reports: exact to the moment asked, from counters kept as events arrive. The counter store is
 * checked against a brute-force sum over facts spread across hours (so buckets and the open minute
 * both count), and the report API end to end on the real stack.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { COUNTER_METRICS, type CounterMetric, CounterStore, emptyCounts } from '../db/counters';
import { address } from './support/emails';
import { nowSeconds, sgEvent } from './support/events';
import { API_KEY, type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

let sys: TestSystem;

const run = (args: string[], env: NodeJS.ProcessEnv) =>
  promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '..', 'api', 'report-cli.ts'), ...args],
    {
      env,
    },
  );

before(async () => {
  sys = await startTestSystem('reports');
});
after(async () => {
  await sys?.close();
});

describe('counter store', () => {
  it('totals at any moment equal the sum of the facts up to it, across rolled-up minutes and the open one', async () => {
    const suffix = randomUUID().slice(0, 8);
    const db = sys.stores.db;
    const store = new CounterStore(
      db.collection(`facts_${suffix}`),
      db.collection(`buckets_${suffix}`),
      db.collection(`rollups_${suffix}`),
    );
    await store.ensureIndexes();
    const now = Date.now();
    const facts: { at: number; metric: CounterMetric; delta: 1 | -1 }[] = [];
    // Three hours of facts, some in the last seconds (not yet rolled up), some taken back later.
    for (let i = 0; i < 400; i++) {
      const at =
        i < 360 ? now - Math.floor(Math.random() * 3 * 3_600_000) : now - Math.floor(Math.random() * 5000);
      const metric = COUNTER_METRICS[i % COUNTER_METRICS.length];
      const delta = i % 17 === 0 ? -1 : 1;
      facts.push({ at, metric, delta });
      await store.record([{ key: `em_${i}:${metric}`, metric, delta }], ['s'], new Date(at));
    }
    // A repeat of a fact counts nothing.
    await store.record(
      [{ key: 'em_1:' + facts[1].metric, metric: facts[1].metric, delta: 1 }],
      ['s'],
      new Date(now),
    );

    const expected = (asOf: number) => {
      const counts = emptyCounts();
      for (const f of facts) if (f.at <= asOf) counts[f.metric] += f.delta;
      return counts;
    };
    const moments = [now, now - 1, now - 4000, now - 61_000, now - 3_600_000, now - 3 * 3_600_000 - 1];
    for (let i = 0; i < 20; i++) moments.push(now - Math.floor(Math.random() * 3 * 3_600_000));
    for (const asOf of moments) {
      assert.deepEqual(
        await store.totals('s', new Date(asOf)),
        expected(asOf),
        `as of ${new Date(asOf).toISOString()}`,
      );
    }
    // The second pass reads the buckets the first wrote.
    assert.deepEqual(await store.totals('s', new Date(now)), expected(now));

    const from = new Date(Math.floor((now - 4 * 3_600_000) / 3_600_000) * 3_600_000);
    const series = await store.series('s', from, new Date(now + 1), 3_600_000);
    const summed = emptyCounts();
    for (const point of series) for (const m of COUNTER_METRICS) summed[m] += point.counts[m];
    assert.deepEqual(summed, expected(now));
  });
});

describe('report API', () => {
  it("a campaign's report as of a moment shows what was known then; later engagement shows after it", async () => {
    const recipients = Array.from({ length: 3 }, () => address('deliver'));
    const created = await sys.call('POST', '/v1/campaigns', {
      name: 'report me',
      subject: 'Hi',
      text: 'Hi',
      categories: [`cat-${randomUUID().slice(0, 8)}`],
      recipients,
    });
    assert.equal(created.status, 202);
    const id = created.body.id as string;
    const beforeAll = new Date(Date.now() - 1000).toISOString();

    const delivered = await waitFor(
      async () => {
        const res = await sys.call('GET', `/v1/reports/campaigns/${id}`);
        return res.body.counts.delivered === 3 ? res.body : undefined;
      },
      { timeoutMs: 30_000, message: 'the campaign to be delivered' },
    );
    assert.equal(delivered.counts.sent, 3);
    assert.deepEqual(delivered.rates, { delivery: 1, bounce: 0, open: 0, click: 0, spam: 0 });
    const deliveredAt = new Date().toISOString();

    const emails = (await sys.call('GET', `/v1/emails?campaignId=${id}`)).body.emails as {
      id: string;
      to: string;
    }[];
    const ts = nowSeconds();
    const batch = emails.flatMap((e) => [
      sgEvent(e.to, 'open', { timestamp: ts, mailroom_email_id: e.id }),
      sgEvent(e.to, 'open', { timestamp: ts + 1, mailroom_email_id: e.id }),
    ]);
    batch.push(
      sgEvent(emails[0].to, 'click', {
        timestamp: ts,
        url: 'https://example.com/a',
        mailroom_email_id: emails[0].id,
      }),
    );
    assert.equal((await sys.postWebhook(batch)).status, 200);

    const now = await waitFor(
      async () => {
        const res = await sys.call('GET', `/v1/reports/campaigns/${id}`);
        return res.body.counts.opened === 3 && res.body.counts.clicked === 1 ? res.body : undefined;
      },
      { timeoutMs: 15_000, message: 'unique opens and clicks to be counted' },
    );
    assert.equal(now.rates.open, 1, 'two opens of one email are one unique open');
    assert.equal(now.rates.click, 0.3333);

    const then = await sys.call('GET', `/v1/reports/campaigns/${id}?asOf=${encodeURIComponent(deliveredAt)}`);
    assert.equal(then.status, 200);
    assert.equal(then.body.asOf, deliveredAt);
    assert.equal(then.body.counts.delivered, 3);
    assert.equal(then.body.counts.opened, 0);
    assert.equal(then.body.counts.clicked, 0);

    const atStart = await sys.call(
      'GET',
      `/v1/reports/campaigns/${id}?asOf=${encodeURIComponent(beforeAll)}`,
    );
    assert.equal(atStart.body.counts.sent, 0);
    assert.equal(atStart.body.rates.delivery, null);

    const category = created.body && (await sys.call('GET', `/v1/campaigns/${id}`)).body.categories[0];
    const summary = await sys.call('GET', `/v1/reports/summary?interval=hour&category=${category}`);
    assert.equal(summary.status, 200);
    assert.equal(summary.body.points.length, 48 + 1);
    const total = summary.body.points.reduce(
      (n: number, p: { counts: { delivered: number } }) => n + p.counts.delivered,
      0,
    );
    assert.equal(total, 3);
  });

  it('npm run report prints the same figures as a table; bad arguments get one line and exit 2', async () => {
    const recipients = [address('deliver'), address('deliver'), address('bounce')];
    const created = await sys.call('POST', '/v1/campaigns', {
      name: 'cli',
      subject: 'Hi',
      text: 'Hi',
      recipients,
    });
    const id = created.body.id as string;
    const report = await waitFor(
      async () => {
        const res = await sys.call('GET', `/v1/reports/campaigns/${id}`);
        return res.body.counts.delivered === 2 && res.body.counts.bounced === 1 ? res.body : undefined;
      },
      { timeoutMs: 30_000, message: 'the campaign to finish' },
    );
    const env = { ...process.env, MAILROOM_API_URL: sys.api.url, MAILROOM_API_KEY: API_KEY };
    const { stdout } = await run(['--campaign', id, '--as-of', report.asOf], env);
    const row = (label: string) => stdout.split('\n').find((line) => line.startsWith(label));
    assert.match(stdout, new RegExp(`^cli \\(${id}\\)`));
    assert.match(row('Sent') ?? '', /^Sent\s+3$/);
    assert.match(row('Delivered') ?? '', /^Delivered\s+2\s+66\.7 %$/);
    assert.match(row('Bounced') ?? '', /^Bounced\s+1\s+33\.3 %$/);

    await assert.rejects(run([], env), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /^--campaign is required\n/);
      return true;
    });
    await assert.rejects(run(['--campaign', 'cmp_nope'], env), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.equal(err.stderr, 'Mailroom answered 404: no campaign with id cmp_nope\n');
      return true;
    });
  });

  it('bad report parameters are named; an unknown campaign is a 404', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const res = await sys.call('GET', `/v1/reports/campaigns/cmp_nope?asOf=${encodeURIComponent(future)}`);
    assert.deepEqual(res.body.error.details, [{ field: 'asOf', message: 'must not be in the future' }]);
    assert.equal((await sys.call('GET', '/v1/reports/campaigns/cmp_nope')).status, 404);
    const bad = await sys.call('GET', '/v1/reports/summary?interval=week&from=yesterday');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), [
      'from',
      'interval',
    ]);
    const order = await sys.call(
      'GET',
      '/v1/reports/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    );
    assert.deepEqual(order.body.error.details, [{ field: 'from', message: 'must be before to' }]);
    const tooLong = await sys.call('GET', '/v1/reports/summary?interval=hour&from=2020-01-01T00:00:00Z');
    assert.equal(tooLong.body.error.details[0].field, 'from');
  });
});
