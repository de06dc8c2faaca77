/**
 * Callback notifications on Temporal's time-skipping test server. The POST activity is the real one,
 * against a local receiver, because its reading of each answer is what the retry policy acts on; the
 * email workflow's own activities are fakes. Backoff waits are skipped, not waited.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import './support/runtime';
import { runWithSendWorker } from './support/workers';
import { startTimeSkipping } from '../dev/temporal';
import { createCallbackActivities } from '../activities/callbacks';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verify } from '../lib/callback-signing';
import { workflowBundle } from '../worker/worker';
import { emailWorkflow, notifyWorkflow } from '../workflows';
import type { Notification } from '../workflows/notify';
import { type CallbackTarget, deliveryEventSignal } from '../workflows/signals';
import type { Outcome } from '../workflows/status';
import { waitFor } from './support/wait';

const SECRET = 'notify-workflow-test-secret';
/** temporal.api.enums.v1.ParentClosePolicy, as history events carry it. */
const PARENT_CLOSE_POLICY_ABANDON = 2;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleOption;

before(async () => {
  env = await startTimeSkipping();
  bundle = await workflowBundle();
});
after(async () => {
  await env?.teardown();
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A callback receiver answering each request with the next status of `answers`; the last one repeats. */
async function receiver(answers: number[]) {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = answers[Math.min(requests.length, answers.length - 1)];
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
      const redirect = status >= 300 && status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {};
      res.writeHead(status, redirect).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/mailroom`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const deliveredOutcome: Outcome = {
  result: 'delivered',
  reason: "Delivered to the recipient's mail server",
  detail: {},
  at: '2026-11-02T10:00:02.000Z',
};

function notification(): Notification {
  const emailId = `em_${randomUUID()}`;
  return {
    id: `${emailId}:outcome`,
    type: 'email.outcome',
    emailId,
    to: 'someone@example.com',
    status: 'delivered',
    outcome: deliveredOutcome,
    event: null,
    campaignId: null,
    metadata: {},
  };
}

/**
 * The email workflow's activities as fakes, and the real postCallback, which notes when (in the test
 * server's skipping clock) each of its attempts ran.
 */
function activities(attemptsAt: number[]) {
  const { postCallback } = createCallbackActivities({ secret: SECRET, timeoutMs: 2000 });
  return {
    checkSuppression: async () => null,
    sendEmail: async () => ({ messageId: 'msg-1' }),
    recordStatus: async () => undefined,
    recordOutcome: async () => undefined,
    async postCallback(url: string, sent: Notification) {
      attemptsAt.push(await env.currentTimeMs());
      return postCallback(url, sent);
    },
  };
}

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>, attemptsAt: number[] = []): Promise<T> {
  const taskQueue = `notify-${randomUUID()}`;
  const acts = activities(attemptsAt);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: acts,
  });
  return runWithSendWorker(env.nativeConnection, worker, acts.sendEmail, () => fn(taskQueue));
}

/** Runs notifyWorkflow to its end; returns the waits between its attempts, in seconds. */
async function notify(url: string, maxAttempts: number, sent = notification()): Promise<number[]> {
  const attemptsAt: number[] = [];
  const waits = () => attemptsAt.slice(1).map((at, i) => Math.round((at - attemptsAt[i]) / 1000));
  try {
    await withWorker(
      (taskQueue) =>
        env.client.workflow.execute(notifyWorkflow, {
          taskQueue,
          workflowId: sent.id,
          args: [{ url, notification: sent, maxAttempts }],
        }),
      attemptsAt,
    );
  } catch (err) {
    throw Object.assign(err as Error, { waits: waits() });
  }
  return waits();
}

/** A received notification, less the `sentAt` every attempt must carry. */
function parseNotification(body: string): Notification {
  const { sentAt, ...notification } = JSON.parse(body) as Notification & { sentAt: string };
  assert.ok(!Number.isNaN(Date.parse(sentAt)), `sentAt: ${sentAt}`);
  return notification;
}

/** The ApplicationFailure type the activity's last attempt ended with. */
function lastFailureType(err: unknown): string | undefined {
  if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ActivityFailure)) return undefined;
  return err.cause.cause instanceof ApplicationFailure ? (err.cause.cause.type ?? undefined) : undefined;
}

describe('notify workflow: retries', () => {
  it('retries a 5xx, 429 and 408 with backoff until the receiver answers 2xx', async () => {
    const rx = await receiver([503, 500, 429, 408, 204]);
    const sent = notification();
    try {
      const waits = await notify(rx.url, 10, sent);
      assert.deepEqual(
        rx.requests.map((r) => r.answered),
        [503, 500, 429, 408, 204],
      );
      assert.deepEqual(waits, [1, 2, 4, 8], 'seconds between attempts');
      for (const r of rx.requests) {
        assert.deepEqual(parseNotification(r.body), sent, 'every attempt carries the same notification');
        assert.equal(r.headers['content-type'], 'application/json');
        const [timestamp, signature] = [TIMESTAMP_HEADER, SIGNATURE_HEADER].map(
          (name) => r.headers[name.toLowerCase()] as string,
        );
        assert.ok(verify(SECRET, r.body, timestamp, signature), 'signed with the secret');
        assert.ok(!verify('another secret', r.body, timestamp, signature));
        assert.ok(!verify(SECRET, r.body.replace('delivered', 'bounced'), timestamp, signature));
      }
    } finally {
      await rx.close();
    }
  });

  it('gives up after maxAttempts, the waits doubling up to 10 minutes apart', async () => {
    const rx = await receiver([503]);
    try {
      let waits: number[] = [];
      await assert.rejects(notify(rx.url, 12), (err) => {
        waits = (err as { waits: number[] }).waits;
        return lastFailureType(err) === 'CallbackFailedError';
      });
      assert.equal(rx.requests.length, 12);
      // Doubling would make the last wait 1024 s.
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600], 'seconds between attempts');
    } finally {
      await rx.close();
    }
  });

  for (const status of [400, 404, 302]) {
    it(`a ${status} is final: one attempt, not retried`, async () => {
      const rx = await receiver([status, 200]);
      try {
        await assert.rejects(notify(rx.url, 10), (err) => lastFailureType(err) === 'CallbackRejectedError');
        assert.equal(rx.requests.length, 1);
      } finally {
        await rx.close();
      }
    });
  }

  it('a receiver that is not listening is retried like a 5xx', async () => {
    const rx = await receiver([200]);
    await rx.close();
    await assert.rejects(notify(rx.url, 3), (err) => lastFailureType(err) === 'CallbackUnreachableError');
  });
});

describe('email workflow: the outcome callback', () => {
  const delivered = { key: 'delivered|1', event: 'delivered', timestamp: 1_790_000_000 };

  async function runEmail(taskQueue: string, emailId: string, callback?: CallbackTarget): Promise<Outcome> {
    const handle = await env.client.workflow.start(emailWorkflow, {
      taskQueue,
      workflowId: emailId,
      args: [{ emailId, to: 'someone@example.com', deliveryTimeoutMs: 3_600_000, callback }],
    });
    await handle.signal(deliveryEventSignal, delivered);
    return handle.result();
  }

  const target = (url: string): CallbackTarget => ({
    url,
    maxAttempts: 1000,
    to: 'Someone@Example.com',
    campaignId: 'spring-launch',
    metadata: { customerId: 'c_42' },
  });

  it('ends with its outcome while the callback, refused every time, keeps trying on its own', async () => {
    const rx = await receiver([503]);
    const emailId = `em_${randomUUID()}`;
    const callback = target(rx.url);
    const child = env.client.workflow.getHandle(`${emailId}:outcome`);
    try {
      await withWorker(async (taskQueue) => {
        const outcome = await runEmail(taskQueue, emailId, callback);
        assert.equal(outcome.result, 'delivered');
        assert.equal((await env.client.workflow.getHandle(emailId).describe()).status.name, 'COMPLETED');
        await waitFor(() => rx.requests.length >= 2, { message: 'attempts after the email ended' });
        assert.equal(
          (await child.describe()).status.name,
          'RUNNING',
          'abandoned, not closed with its parent',
        );
        // The test server does not act on parent close policies, so the parent's request is checked too.
        const history = await env.client.workflow.getHandle(emailId).fetchHistory();
        const started = history.events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
        assert.equal(
          started?.startChildWorkflowExecutionInitiatedEventAttributes?.parentClosePolicy,
          PARENT_CLOSE_POLICY_ABANDON,
        );
        assert.ok(rx.requests.every((r) => r.answered === 503));
        assert.deepEqual(parseNotification(rx.requests[0].body), {
          id: `${emailId}:outcome`,
          type: 'email.outcome',
          emailId,
          to: callback.to,
          status: 'delivered',
          outcome,
          event: null,
          campaignId: callback.campaignId,
          metadata: callback.metadata,
        });
      });
    } finally {
      await child.terminate('test over').catch(() => undefined);
      await rx.close();
    }
  });

  it('a callback that cannot be started does not fail the email', async () => {
    const rx = await receiver([503]);
    const emailId = `em_${randomUUID()}`;
    const squatter = env.client.workflow.getHandle(`${emailId}:outcome`);
    try {
      await withWorker(async (taskQueue) => {
        // The child's id is taken by a running workflow, so starting the child fails.
        await env.client.workflow.start(notifyWorkflow, {
          taskQueue,
          workflowId: `${emailId}:outcome`,
          args: [{ url: rx.url, notification: notification(), maxAttempts: 1000 }],
        });
        const outcome = await runEmail(taskQueue, emailId, target(rx.url));
        assert.equal(outcome.result, 'delivered');
      });
    } finally {
      await squatter.terminate('test over').catch(() => undefined);
      await rx.close();
    }
  });

  it('an email without a callback starts none', async () => {
    const emailId = `em_${randomUUID()}`;
    const outcome = await withWorker((taskQueue) => runEmail(taskQueue, emailId));
    assert.equal(outcome.result, 'delivered');
    await assert.rejects(
      env.client.workflow.getHandle(`${emailId}:outcome`).describe(),
      (err) => err instanceof WorkflowNotFoundError,
    );
  });
});
