/**
 * Each row of the sandbox table, end to end: HTTP API → Temporal dev server → worker → SendGrid sandbox
 * → signed Event Webhook → API → workflow signal → outcome in MongoDB, read back through the API.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TestSystem, startTestSystem } from './support/stack';
import { address, sendEmail, waitForStatus } from './support/emails';
import { waitFor } from './support/wait';

let sys: TestSystem;
const ids: Record<string, string> = {};
const rows = [
  'delivered',
  'bounce',
  'block',
  'defer',
  'drop',
  'spam',
  'open',
  'click',
  'silent',
  'reject',
  'error',
  'throttle',
];

before(async () => {
  sys = await startTestSystem('lifecycle');
  // All rows go out at once; each test below waits for its own.
  await Promise.all(
    rows.map(async (row) => {
      const local = row === 'delivered' ? 'someone' : row;
      ids[row] = await sendEmail(sys, address(local), row === 'silent' ? { deliveryTimeout: '3s' } : {});
    }),
  );
});
after(async () => {
  await sys?.close();
});

const eventNames = (email: { events: { event: string }[] }) => email.events.map((e) => e.event);

describe('each sandbox row reaches its final status through the API', () => {
  it('someone@: delivered, with the provider exchange and the timeline', async () => {
    const email = await waitForStatus(sys, ids.delivered, ['delivered']);
    assert.equal(email.outcome.result, 'delivered');
    assert.equal(email.outcome.reason, "Delivered to the recipient's mail server");
    assert.equal(email.provider.response.statusCode, 202);
    assert.ok(email.provider.messageId, 'X-Message-Id recorded');
    assert.equal(email.provider.attempts, 1);
    assert.equal(email.provider.request.custom_args.mailroom_email_id, ids.delivered);
    assert.ok(!JSON.stringify(email.provider).includes('SG.sandbox-key'), 'the API key never appears');
    assert.deepEqual(eventNames(email), ['processed', 'delivered']);
  });

  it('bounce@: bounced with the reason and the SMTP detail, the address suppressed', async () => {
    const email = await waitForStatus(sys, ids.bounce, ['bounced']);
    assert.equal(email.outcome.reason, 'The mailbox does not exist (550 5.1.1)');
    assert.equal(email.outcome.detail.smtpStatus, '5.1.1');
    assert.equal(email.outcome.detail.bounceType, 'bounce');
    const bounce = email.events.find((e: { event: string }) => e.event === 'bounce');
    assert.equal(bounce.data.sg_message_id, undefined, 'the sandbox posts this bounce without sg_message_id');
    assert.ok(await sys.stores.suppressions.get(email.to.email));
  });

  it('block@: bounced as blocked, not suppressed (a soft bounce)', async () => {
    const email = await waitForStatus(sys, ids.block, ['bounced']);
    assert.equal(email.outcome.detail.bounceType, 'blocked');
    assert.match(email.outcome.reason, /blocked/);
    assert.equal(await sys.stores.suppressions.get(email.to.email), null);
  });

  it('defer@: deferred twice, then delivered', async () => {
    const email = await waitForStatus(sys, ids.defer, ['delivered']);
    assert.deepEqual(
      eventNames(email),
      ['processed', 'deferred', 'deferred', 'delivered'],
      JSON.stringify(email.events),
    );
  });

  it('drop@: dropped with SendGrid reason, the address suppressed', async () => {
    const email = await waitForStatus(sys, ids.drop, ['dropped']);
    assert.equal(email.outcome.detail.sendgridReason, 'Invalid');
    assert.equal((await sys.stores.suppressions.get(email.to.email))?.reason, 'dropped by SendGrid: Invalid');
  });

  it('spam@: delivered, then the spam report suppresses the address', async () => {
    const email = await waitForStatus(sys, ids.spam, ['delivered']);
    const entry = await waitForSuppression(email.to.email);
    assert.equal(entry.reason, 'spam report');
    assert.equal(entry.emailId, ids.spam);
  });

  it('open@: delivered, one open counted', async () => {
    const email = await waitForEngagement(ids.open, (e) => e.engagement.opens.count === 1);
    assert.equal(email.status, 'delivered');
    assert.ok(email.engagement.opens.first && email.engagement.opens.last);
  });

  it('click@: delivered, an open and a click counted', async () => {
    const email = await waitForEngagement(ids.click, (e) => e.engagement.clicks.count === 1);
    assert.equal(email.engagement.opens.count, 1);
    const click = email.events.find((e: { event: string }) => e.event === 'click');
    assert.deepEqual(email.engagement.clicks.urls, [{ url: click.data.url, count: 1 }]);
  });

  it('silent@: only processed, so unconfirmed at its delivery timeout', async () => {
    const email = await waitForStatus(sys, ids.silent, ['unconfirmed']);
    assert.equal(email.outcome.reason, 'No confirmation of delivery within 3 seconds');
    assert.deepEqual(eventNames(email), ['processed']);
  });

  it('reject@: SendGrid answers 400, rejected at once, not retried', async () => {
    const email = await waitForStatus(sys, ids.reject, ['rejected']);
    assert.equal(email.provider.attempts, 1);
    assert.equal(email.provider.response.statusCode, 400);
    assert.ok(Array.isArray(email.provider.response.body.errors));
    assert.match(email.outcome.reason, /^SendGrid refused the request: 400/);
  });

  it('error@: 500 twice, retried, then delivered', async () => {
    const email = await waitForStatus(sys, ids.error, ['delivered']);
    assert.equal(email.provider.attempts, 3);
  });

  it('throttle@: 429 once, retried after the reset, then delivered', async () => {
    const email = await waitForStatus(sys, ids.throttle, ['delivered']);
    assert.equal(email.provider.attempts, 2);
  });
});

async function waitForSuppression(email: string) {
  return waitFor(() => sys.stores.suppressions.get(email), { message: `${email} on the suppression list` });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
async function waitForEngagement(id: string, done: (email: any) => boolean) {
  let last: unknown;
  return waitFor(
    async () => {
      const res = await sys.call('GET', `/v1/emails/${id}`);
      last = res.body;
      return done(res.body) ? res.body : undefined;
    },
    { timeoutMs: 30_000, message: `engagement of ${id}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${JSON.stringify(last)}`);
  });
}
