/**
 * The email workflow on Temporal's time-skipping test server: every path of the sandbox table,
 * timeouts skipped rather than waited, retries, and events in any order. Activities are fakes here
 * (the workflow is the unit); the integration tests run the real ones.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import './support/runtime';
import { startTimeSkipping } from '../dev/temporal';
import type { Activities } from '../activities';
import { providerRejected, providerThrottled, providerUnavailable } from '../activities/errors';
import { workflowBundle } from '../worker/worker';
import { emailWorkflow } from '../workflows';
import { type DeliveryEvent, deliveryEventSignal } from '../workflows/signals';
import type { EmailStatus, Outcome } from '../workflows/status';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleOption;

before(async () => {
  env = await startTimeSkipping();
  bundle = await workflowBundle();
});
after(async () => {
  await env?.teardown();
});

interface Fakes {
  suppressed?: { reason: string; createdAt: string };
  /** What each send attempt does; the last entry repeats. */
  sends?: ('ok' | 'reject' | 'error' | 'throttle')[];
  beforeSendReturns?: () => Promise<void>;
}

function fakeActivities(fakes: Fakes) {
  const calls = { sends: 0, statuses: [] as EmailStatus[], outcomes: [] as Outcome[] };
  const plan = fakes.sends ?? ['ok'];
  const activities: Activities = {
    async checkSuppression() {
      return fakes.suppressed ?? null;
    },
    async sendEmail() {
      const step = plan[Math.min(calls.sends++, plan.length - 1)];
      if (step === 'reject')
        throw providerRejected('400: The from object must be provided', { statusCode: 400, body: {} });
      if (step === 'error')
        throw providerUnavailable('SendGrid failed (500)', { statusCode: 500, body: null });
      if (step === 'throttle') throw providerThrottled('rate limited', { statusCode: 429, body: null }, 1000);
      await fakes.beforeSendReturns?.();
      return { messageId: 'msg-1' };
    },
    async recordStatus(_id, status) {
      calls.statuses.push(status);
    },
    async recordOutcome(_id, outcome) {
      calls.outcomes.push(outcome);
    },
  };
  return { activities, calls };
}

let nextTs = 1_790_000_000;
function event(name: string, extra: Partial<DeliveryEvent> = {}): DeliveryEvent {
  const timestamp = extra.timestamp ?? nextTs++;
  return { key: `${name}|${timestamp}|${extra.url ?? ''}`, event: name, timestamp, ...extra };
}

/** Starts the workflow on a fresh task queue, sends the events as signals, returns the outcome. */
async function run(
  fakes: Fakes,
  events: DeliveryEvent[],
  options: { timeoutMs?: number; signalFirst?: boolean } = {},
) {
  const { activities, calls } = fakeActivities(fakes);
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  const outcome = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(emailWorkflow, {
      taskQueue,
      workflowId: `em_${randomUUID()}`,
      args: [
        { emailId: 'em_test', to: 'someone@example.com', deliveryTimeoutMs: options.timeoutMs ?? 96 * HOUR },
      ],
    });
    for (const e of events) await handle.signal(deliveryEventSignal, e);
    return handle.result();
  });
  return { outcome, calls };
}

describe('email workflow: the sandbox table', () => {
  it('anything else: processed, delivered → delivered', async () => {
    const { outcome, calls } = await run({}, [
      event('processed'),
      event('delivered', { response: '250 OK' }),
    ]);
    assert.equal(outcome.result, 'delivered');
    assert.equal(outcome.reason, "Delivered to the recipient's mail server");
    assert.deepEqual(outcome.detail, { response: '250 OK' });
    assert.deepEqual(calls.outcomes, [outcome]);
  });

  it('bounce: a hard bounce ends bounced with a plain reason and the SMTP facts', async () => {
    const bounce = event('bounce', {
      type: 'bounce',
      status: '5.1.1',
      reason: '550 5.1.1 The email account that you tried to reach does not exist',
      bounceClassification: 'Invalid Address',
    });
    const { outcome } = await run({}, [event('processed'), bounce]);
    assert.equal(outcome.result, 'bounced');
    assert.equal(outcome.reason, 'The mailbox does not exist (550 5.1.1)');
    assert.equal(outcome.detail.smtpStatus, '5.1.1');
    assert.equal(outcome.detail.bounceType, 'bounce');
  });

  it('block: a blocked (soft) bounce ends bounced, saying it was blocked', async () => {
    const block = event('bounce', {
      type: 'blocked',
      status: '5.7.1',
      reason: '550 5.7.1 Service unavailable',
    });
    const { outcome } = await run({}, [event('processed'), block]);
    assert.equal(outcome.result, 'bounced');
    assert.match(outcome.reason, /blocked the email \(550 5\.7\.1\)/);
    assert.equal(outcome.detail.bounceType, 'blocked');
  });

  it('defer: deferred twice then delivered records "deferred" once and ends delivered', async () => {
    const events = [
      event('processed'),
      event('deferred', { attempt: '1' }),
      event('deferred', { attempt: '2' }),
      event('delivered'),
    ];
    const { outcome, calls } = await run({}, events);
    assert.equal(outcome.result, 'delivered');
    assert.deepEqual(calls.statuses, ['deferred']);
  });

  it('drop: ends dropped with SendGrid reason in words', async () => {
    const { outcome } = await run({}, [event('dropped', { reason: 'Invalid', status: '5.1.1' })]);
    assert.equal(outcome.result, 'dropped');
    assert.equal(outcome.reason, 'SendGrid did not send it: the address is not a valid email address');
    assert.equal(outcome.detail.sendgridReason, 'Invalid');
  });

  for (const engagement of [['spamreport'], ['open'], ['open', 'click']]) {
    it(`${engagement.join('+')} after delivered: ends delivered`, async () => {
      const events = [event('processed'), event('delivered'), ...engagement.map((name) => event(name))];
      const { outcome } = await run({}, events);
      assert.equal(outcome.result, 'delivered');
      assert.equal(outcome.reason, "Delivered to the recipient's mail server");
    });
  }

  it('silent: no final event within the 96 h default ends unconfirmed, the time skipped', async () => {
    const startedAt = Date.now();
    const envStart = await env.currentTimeMs();
    const { outcome } = await run({}, [event('processed')]);
    assert.equal(outcome.result, 'unconfirmed');
    assert.equal(outcome.reason, 'No confirmation of delivery within 96 hours');
    assert.ok((await env.currentTimeMs()) - envStart >= 96 * HOUR, 'server time moved past the timeout');
    assert.ok(Date.now() - startedAt < 60_000, 'the 96 h were skipped, not waited');
  });

  it('reject: a 400 is not retried and ends rejected', async () => {
    const { outcome, calls } = await run({ sends: ['reject'] }, []);
    assert.equal(outcome.result, 'rejected');
    assert.match(outcome.reason, /^SendGrid refused the request: 400: The from object/);
    assert.equal(outcome.detail.statusCode, 400);
    assert.equal(calls.sends, 1);
  });

  it('error: 500 twice is retried, then sent and delivered', async () => {
    const { outcome, calls } = await run({ sends: ['error', 'error', 'ok'] }, [event('delivered')]);
    assert.equal(outcome.result, 'delivered');
    assert.equal(calls.sends, 3);
  });

  it('throttle: a 429 is retried after the reset, then sent', async () => {
    const { outcome, calls } = await run({ sends: ['throttle', 'ok'] }, [event('delivered')]);
    assert.equal(outcome.result, 'delivered');
    assert.equal(calls.sends, 2);
  });

  it('a provider down on every attempt ends failed after the retry limit', async () => {
    const { outcome, calls } = await run({ sends: ['error'] }, []);
    assert.equal(outcome.result, 'failed');
    assert.match(outcome.reason, /SendGrid failed \(500\)/);
    assert.equal(calls.sends, 5);
  });
});

describe('email workflow: suppression, ordering and timeouts', () => {
  it('a suppressed address is never sent and ends suppressed with the entry reason', async () => {
    const suppressed = { reason: 'hard bounce', createdAt: '2026-11-02T10:00:00.000Z' };
    const { outcome, calls } = await run({ suppressed }, []);
    assert.equal(outcome.result, 'suppressed');
    assert.equal(outcome.reason, 'On the suppression list since 2026-11-02: hard bounce');
    assert.equal(calls.sends, 0);
  });

  it('events arriving before the send activity returns are applied after it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { activities, calls } = fakeActivities({ beforeSendReturns: () => released });
    const taskQueue = `wf-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities,
    });
    const outcome = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(emailWorkflow, {
        taskQueue,
        workflowId: `em_${randomUUID()}`,
        args: [{ emailId: 'em_test', to: 'someone@example.com', deliveryTimeoutMs: HOUR }],
      });
      await handle.signal(deliveryEventSignal, event('delivered'));
      release();
      return handle.result();
    });
    assert.equal(calls.sends, 1);
    assert.equal(outcome.result, 'delivered');
  });

  it('duplicate events are applied once', async () => {
    const deferred = event('deferred', { attempt: '1' });
    const { calls } = await run({}, [deferred, deferred, { ...deferred }, event('delivered')]);
    assert.deepEqual(calls.statuses, ['deferred']);
  });

  it('out of order: an open before delivered counts as delivered; a deferred after it changes nothing', async () => {
    const { outcome, calls } = await run({}, [event('open'), event('delivered'), event('deferred')]);
    assert.equal(outcome.result, 'delivered');
    assert.equal(outcome.detail.evidence, 'open');
    assert.deepEqual(calls.statuses, []);
  });

  it('a deferred email that never resolves ends unconfirmed at its own timeout', async () => {
    const { outcome, calls } = await run({}, [event('deferred')], { timeoutMs: 15 * 60_000 });
    assert.equal(outcome.result, 'unconfirmed');
    assert.equal(outcome.reason, 'No confirmation of delivery within 15 minutes');
    assert.deepEqual(calls.statuses, ['deferred']);
  });
});
