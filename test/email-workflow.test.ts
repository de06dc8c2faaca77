/**
 * The email workflow on Temporal's time-skipping test server: every path of the sandbox table,
 * timeouts skipped rather than waited, retries, and events in any order. Activities are fakes here
 * (the workflow is the unit); the integration tests run the real ones.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import './support/runtime';
import { runWithSendWorker } from './support/workers';
import { startTimeSkipping } from '../dev/temporal';
import type { Activities } from '../activities';
import { providerRejected, providerThrottled, providerUnavailable } from '../activities/errors';
import { workflowBundle } from '../worker/worker';
import { emailWorkflow } from '../workflows';
import {
  type CallbackTarget,
  type DeliveryEvent,
  cancelSignal,
  deliveryEventSignal,
  stateQuery,
} from '../workflows/signals';
import { waitFor } from './support/wait';
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
  const calls = { sends: 0, callbacks: 0, statuses: [] as EmailStatus[], outcomes: [] as Outcome[] };
  const plan = fakes.sends ?? ['ok'];
  const activities: Pick<
    Activities,
    'checkSuppression' | 'sendEmail' | 'recordStatus' | 'recordOutcome' | 'postCallback'
  > = {
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
    // Only the callback test below gives an email a callbackUrl; test/notify-workflow.test.ts covers the rest.
    async postCallback() {
      calls.callbacks++;
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
  options: {
    timeoutMs?: number;
    callback?: CallbackTarget;
    sendAt?: string;
    record?: string;
    beforeEvents?: (handle: WorkflowHandle<typeof emailWorkflow>) => Promise<void>;
    /** Events made after beforeEvents ran. */
    events?: () => DeliveryEvent[];
    afterSignals?: () => void;
  } = {},
) {
  const { activities, calls } = fakeActivities(fakes);
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
  });
  const outcome = await runWithSendWorker(env.nativeConnection, worker, activities.sendEmail, async () => {
    const handle = await env.client.workflow.start(emailWorkflow, {
      taskQueue,
      workflowId: `em_${randomUUID()}`,
      args: [
        {
          emailId: 'em_test',
          to: 'someone@example.com',
          deliveryTimeoutMs: options.timeoutMs ?? 96 * HOUR,
          ...(options.callback && { callback: options.callback }),
          ...(options.sendAt && { sendAt: options.sendAt }),
        },
      ],
    });
    await options.beforeEvents?.(handle);
    for (const e of [...events, ...(options.events?.() ?? [])]) await handle.signal(deliveryEventSignal, e);
    options.afterSignals?.();
    const result = await handle.result();
    const history = await handle.fetchHistory();
    if (options.record && process.env.RECORD_HISTORIES) recordHistory(options.record, history);
    return { outcome: result, history };
  });
  return { outcome: outcome.outcome, history: outcome.history, calls };
}

/**
 * `npm run record-histories` saves the histories of the paths named below as fixtures for
 * test/replay.test.ts, which replays them against the current workflow code to catch nondeterminism.
 */
const HISTORIES = path.join(__dirname, 'fixtures', 'histories');
function recordHistory(name: string, history: temporal.api.history.v1.IHistory): void {
  mkdirSync(HISTORIES, { recursive: true });
  // Binary protobuf: exact, and free of the JSON enum-naming differences between SDK versions.
  writeFileSync(
    path.join(HISTORIES, `${name}.binpb`),
    temporal.api.history.v1.History.encode(history).finish(),
  );
}

describe('email workflow: the sandbox table', () => {
  it('anything else: processed, delivered → delivered', async () => {
    const { outcome, calls } = await run(
      {},
      [event('processed'), event('delivered', { response: '250 OK' })],
      {
        record: 'delivered',
      },
    );
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
    const { outcome } = await run({}, [event('processed'), bounce], { record: 'bounced' });
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
    const { outcome, calls } = await run({}, events, { record: 'deferred-then-delivered' });
    assert.equal(outcome.result, 'delivered');
    assert.deepEqual(calls.statuses, ['deferred']);
  });

  it('drop: ends dropped with SendGrid reason in words', async () => {
    const { outcome } = await run({}, [event('dropped', { reason: 'Invalid', status: '5.1.1' })], {
      record: 'dropped',
    });
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
    const { outcome } = await run({}, [event('processed')], { record: 'unconfirmed' });
    assert.equal(outcome.result, 'unconfirmed');
    assert.equal(outcome.reason, 'No confirmation of delivery within 96 hours');
    assert.ok((await env.currentTimeMs()) - envStart >= 96 * HOUR, 'server time moved past the timeout');
    assert.ok(Date.now() - startedAt < 60_000, 'the 96 h were skipped, not waited');
  });

  it('reject: a 400 is not retried and ends rejected', async () => {
    const { outcome, calls } = await run({ sends: ['reject'] }, [], { record: 'rejected' });
    assert.equal(outcome.result, 'rejected');
    assert.match(outcome.reason, /^SendGrid refused the request: 400: The from object/);
    assert.equal(outcome.detail.statusCode, 400);
    assert.equal(calls.sends, 1);
  });

  it('error: 500 twice is retried, then sent and delivered', async () => {
    const { outcome, calls } = await run({ sends: ['error', 'error', 'ok'] }, [event('delivered')], {
      record: 'retried-then-delivered',
    });
    assert.equal(outcome.result, 'delivered');
    assert.equal(calls.sends, 3);
  });

  it('throttle: a 429 is retried after the reset, then sent', async () => {
    const { outcome, calls } = await run({ sends: ['throttle', 'ok'] }, [event('delivered')]);
    assert.equal(outcome.result, 'delivered');
    assert.equal(calls.sends, 2);
  });

  it('a provider down on every attempt ends failed after the retry limit', async () => {
    const { outcome, calls } = await run({ sends: ['error'] }, [], { record: 'failed' });
    assert.equal(outcome.result, 'failed');
    assert.match(outcome.reason, /SendGrid failed \(500\)/);
    assert.equal(calls.sends, 5);
  });
});

describe('email workflow: suppression, ordering and timeouts', () => {
  it('a suppressed address is never sent and ends suppressed with the entry reason', async () => {
    const suppressed = { reason: 'hard bounce', createdAt: '2026-11-02T10:00:00.000Z' };
    const { outcome, calls } = await run({ suppressed }, [], { record: 'suppressed' });
    assert.equal(outcome.result, 'suppressed');
    assert.equal(outcome.reason, 'On the suppression list since 2026-11-02: hard bounce');
    assert.equal(calls.sends, 0);
  });

  it('events arriving before the send activity returns are applied after it', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { outcome, calls } = await run({ beforeSendReturns: () => released }, [event('delivered')], {
      afterSignals: release,
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
    const { outcome, calls } = await run({}, [event('open'), event('delivered'), event('deferred')], {
      record: 'out-of-order',
    });
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

describe('email workflow: scheduled sends and cancel', () => {
  it('sendAt: waits on a durable timer until its time, then sends', async () => {
    const sendAt = new Date((await env.currentTimeMs()) + 2 * HOUR).toISOString();
    const { outcome, calls, history } = await run({}, [], {
      sendAt,
      record: 'scheduled-then-delivered',
      beforeEvents: async (handle) => {
        assert.equal((await handle.query(stateQuery)).status, 'scheduled');
      },
      events: () => [event('delivered')],
    });
    assert.equal(outcome.result, 'delivered');
    assert.equal(calls.sends, 1);
    assert.deepEqual(calls.statuses, ['queued']);
    const timers = history.events?.filter((e) => e.timerStartedEventAttributes) ?? [];
    assert.equal(timers.length >= 1, true, 'a timer holds the send');
  });

  it('canceled before its time: nothing is sent, it ends canceled with the reason', async () => {
    const sendAt = new Date((await env.currentTimeMs()) + 24 * HOUR).toISOString();
    const { outcome, calls } = await run({}, [], {
      sendAt,
      record: 'canceled',
      beforeEvents: async (handle) => {
        await handle.signal(cancelSignal, { reason: 'canceled by request' });
      },
    });
    assert.equal(outcome.result, 'canceled');
    assert.equal(outcome.reason, 'Canceled before it was sent: canceled by request');
    assert.equal(calls.sends, 0);
    assert.deepEqual(
      calls.outcomes.map((o) => o.result),
      ['canceled'],
    );
  });

  // A deadline of its own: the activity and the test wait on each other, and a lost step must fail, not hang.
  it(
    'a cancel after the send is under way does not stop it: the email is sent and tracked',
    { timeout: 60_000 },
    async () => {
      let release!: () => void;
      const sendStarted = new Promise<void>((resolve) => {
        release = resolve;
      });
      let signalled = false;
      const { outcome, calls } = await run(
        {
          beforeSendReturns: async () => {
            release();
            await waitFor(() => signalled, { message: 'the cancel signal' });
          },
        },
        [],
        {
          beforeEvents: async (handle) => {
            await sendStarted;
            await handle.signal(cancelSignal, { reason: 'too late' });
            signalled = true;
          },
          events: () => [event('delivered')],
        },
      );
      assert.equal(outcome.result, 'delivered');
      assert.equal(calls.sends, 1);
    },
  );
});

describe('email workflow: outcome callback', () => {
  it('an email with a callbackUrl starts its notification as a child and completes without waiting', async () => {
    const callback = {
      url: 'http://127.0.0.1:9/hook',
      maxAttempts: 3,
      to: 'someone@example.com',
      campaignId: null,
      metadata: {},
    };
    const { outcome, history } = await run({}, [event('delivered')], {
      callback,
      record: 'delivered-with-callback',
    });
    assert.equal(outcome.result, 'delivered');
    const started = (history.events ?? []).flatMap((e) => {
      const attrs = e.startChildWorkflowExecutionInitiatedEventAttributes;
      return attrs ? [attrs.workflowType?.name] : [];
    });
    assert.deepEqual(started, ['notifyWorkflow']);
  });
});
