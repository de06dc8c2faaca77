/**
 * Send rates: SEND_RATE_LIMIT holds every worker's sends to one rate (Temporal's task-queue rate
 * limit), and a campaign's ratePerSecond paces its own releases. Each is measured where it shows:
 * the times the sandbox received the requests.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { address } from './support/emails';
import { type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

const SEND_RATE_LIMIT = 3;
let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('throttle', { env: { worker: { SEND_RATE_LIMIT: String(SEND_RATE_LIMIT) } } });
});
after(async () => {
  await sys?.close();
});

/**
 * Requests per second the sandbox received for `recipients`, from the first request after the run's
 * first second to the last. Both limiters are token buckets that start full, so the first second may
 * carry a burst on top of the rate (6 requests in 0.55 s at 3/s, measured); after it, the rate holds.
 */
async function measuredRate(recipients: string[]): Promise<number> {
  const times = await waitFor(
    async () => {
      const res = await fetch(`${sys.sandbox.url}/sandbox/messages`);
      const wanted = new Set(recipients);
      const received = (
        (await res.json()) as {
          receivedAt: string;
          body: { personalizations: { to: { email: string }[] }[] };
        }[]
      )
        .filter((r) => wanted.has(r.body.personalizations[0].to[0].email))
        .map((r) => Date.parse(r.receivedAt));
      return received.length === recipients.length ? received.sort((a, b) => a - b) : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, message: 'every request to reach the sandbox' },
  );
  const steady = times.filter((t) => t >= times[0] + 1000);
  assert.ok(steady.length >= 10, `only ${steady.length} requests after the first second`);
  return ((steady.length - 1) * 1000) / (steady[steady.length - 1] - steady[0]);
}

function within10Percent(actual: number, target: number) {
  assert.ok(
    Math.abs(actual - target) / target <= 0.1,
    `${actual.toFixed(2)}/s is not within 10 % of ${target}/s`,
  );
}

it('SEND_RATE_LIMIT holds sends across the task queue to the configured rate', async () => {
  const recipients = Array.from({ length: 45 }, () => address('deliver'));
  const res = await sys.call('POST', '/v1/campaigns', {
    name: 'throttled',
    subject: 'Hello',
    text: 'Hi',
    recipients,
  });
  assert.equal(res.status, 202);
  within10Percent(await measuredRate(recipients), SEND_RATE_LIMIT);
});

it("a campaign's ratePerSecond paces its sends below the global limit", async () => {
  const recipients = Array.from({ length: 30 }, () => address('deliver'));
  const res = await sys.call('POST', '/v1/campaigns', {
    name: 'paced',
    subject: 'Hello',
    text: 'Hi',
    ratePerSecond: 2,
    recipients,
  });
  assert.equal(res.status, 202);
  within10Percent(await measuredRate(recipients), 2);
});
