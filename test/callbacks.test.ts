/**
 * Outcome callbacks end to end: API → email workflow → abandoned notify workflow → signed POST to a
 * local receiver that is down at first and comes back; engagement callbacks from the webhook path.
 * Signatures are checked with the recipe exactly as the README prints it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { engagementNotificationId } from '../api/ingest';
import { freePort } from '../dev/ports';
import type { Notification } from '../workflows/notify';
import { type TestSystem, startTestSystem } from './support/stack';
import { address, sendEmail, waitForStatus } from './support/emails';
import { waitFor } from './support/wait';

let sys: TestSystem;
let temporal: Client;
let secret: string;

before(async () => {
  sys = await startTestSystem('callbacks');
  secret = sys.env.worker.CALLBACK_SECRET;
  const connection = await Connection.connect({ address: sys.env.worker.TEMPORAL_ADDRESS });
  temporal = new Client({ connection, namespace: sys.env.worker.TEMPORAL_NAMESPACE });
});
after(async () => {
  await temporal?.connection.close();
  await sys?.close();
});

type Verifier = (secret: string, rawBody: string, timestamp: unknown, signature: unknown) => boolean;

/** The README's verification snippet, run as printed. */
function readmeRecipe(): Verifier {
  const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Outcome callbacks'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  assert.match(code, /function verifyMailroomSignature\(/, 'the README has the recipe');
  assert.ok(code.split('\n').length <= 12, 'the recipe stays about ten lines');
  return new Function('require', `${code}\nreturn verifyMailroomSignature;`)(require) as Verifier;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
  notification: Notification & { sentAt: string };
}

/** A callback receiver on 127.0.0.1 that answers 503 until `accept()`, then 200. */
async function startReceiver(opts: { port?: number; accepting?: boolean } = {}) {
  let accepting = opts.accepting ?? true;
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = accepting ? 200 : 503;
      requests.push({ headers: req.headers, body, answered, notification: JSON.parse(body) });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/mailroom`,
    requests,
    accepted: () => requests.filter((r) => r.answered === 200),
    accept: () => (accepting = true),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function assertSigned(r: Received): void {
  const verifyAsReadme = readmeRecipe();
  const timestamp = r.headers['x-mailroom-timestamp'];
  const signature = r.headers['x-mailroom-signature'];
  assert.match(String(signature), /^v1=[0-9a-f]{64}$/);
  assert.ok(verifyAsReadme(secret, r.body, timestamp, signature), 'the README recipe accepts it');
  assert.ok(!verifyAsReadme(`${secret}x`, r.body, timestamp, signature), 'another secret does not verify');
  assert.ok(!verifyAsReadme(secret, `${r.body} `, timestamp, signature), 'another body does not verify');
  assert.ok(!verifyAsReadme(secret, r.body, String(Number(timestamp) - 301), signature), 'nor an old one');
}

describe('outcome callbacks', () => {
  it('a receiver that refuses and comes back gets the signed outcome; the email did not wait', async () => {
    assert.ok(secret, 'the test system configures CALLBACK_SECRET');
    const rx = await startReceiver({ accepting: false });
    const to = address('someone');
    try {
      const id = await sendEmail(sys, to, {
        callbackUrl: rx.url,
        campaignId: 'spring-launch',
        metadata: { customerId: 'c_42' },
      });
      // Delivered while the receiver answers nothing but 503: the outcome is not held up.
      const email = await waitForStatus(sys, id, ['delivered']);
      await waitFor(() => rx.requests.length >= 2, { timeoutMs: 20_000, message: 'two refused attempts' });
      assert.deepEqual(rx.accepted(), [], 'no 2xx had been given');

      rx.accept();
      const [got] = await waitFor(() => rx.accepted().length > 0 && rx.accepted(), {
        timeoutMs: 30_000,
        message: 'the notification, once the receiver is back',
      });
      const { sentAt, ...notification } = got.notification;
      assert.deepEqual(notification, {
        id: `${id}:outcome`,
        type: 'email.outcome',
        emailId: id,
        to,
        status: 'delivered',
        outcome: email.outcome,
        event: null,
        campaignId: 'spring-launch',
        metadata: { customerId: 'c_42' },
      });
      assert.ok(Date.parse(sentAt) > Date.parse(rx.requests[0].notification.sentAt), 'stamped per attempt');
      for (const r of rx.requests) assert.equal(r.notification.id, `${id}:outcome`);
      assertSigned(got);
      await temporal.workflow.getHandle(`${id}:outcome`).result();
      assert.equal(rx.accepted().length, 1);
    } finally {
      await rx.close();
    }
  });

  it('a bounced email: the notification, sent once the receiver listens, carries the reason', async () => {
    const port = await freePort();
    const id = await sendEmail(sys, address('bounce'), { callbackUrl: `http://127.0.0.1:${port}/hook` });
    await waitForStatus(sys, id, ['bounced']);
    // Nothing listens yet: the attempts fail to connect and are retried.
    const notify = temporal.workflow.getHandle(`${id}:outcome`);
    await waitFor(async () => ((await notify.describe()).raw.pendingActivities?.[0]?.attempt ?? 0) >= 2, {
      timeoutMs: 20_000,
      message: 'a second attempt at a receiver that is down',
    });

    const rx = await startReceiver({ port });
    try {
      await notify.result();
      const [got] = rx.accepted();
      assert.ok(got, 'the receiver got the notification');
      assert.equal(got.notification.status, 'bounced');
      assert.equal(got.notification.outcome?.reason, 'The mailbox does not exist (550 5.1.1)');
      assert.equal(got.notification.outcome?.detail.smtpStatus, '5.1.1');
      assertSigned(got);
    } finally {
      await rx.close();
    }
  });
});

describe('engagement callbacks', () => {
  it('notifyEngagement: the open and the click are notified once each, besides the outcome', async () => {
    const rx = await startReceiver();
    try {
      const id = await sendEmail(sys, address('click'), { callbackUrl: rx.url, notifyEngagement: true });
      const byType = (type: string, event?: string) =>
        rx.accepted().filter((r) => r.notification.type === type && r.notification.event?.event === event);
      await waitFor(() => byType('email.outcome').length && byType('email.engagement', 'open').length, {
        timeoutMs: 30_000,
        message: 'the outcome and the open',
      });
      const [click] = await waitFor(
        () => byType('email.engagement', 'click').length > 0 && byType('email.engagement', 'click'),
        {
          timeoutMs: 30_000,
          message: 'the click',
        },
      );

      // SendGrid posting the same events again notifies nobody a second time.
      const events = await sys.stores.events.forEmail(id);
      const repost = await sys.postWebhook(events.map((e) => e.raw));
      assert.deepEqual(repost.body, { stored: 0, duplicates: events.length });

      for (const r of rx.accepted()) await temporal.workflow.getHandle(r.notification.id).result();
      assert.equal(byType('email.outcome').length, 1);
      assert.equal(byType('email.engagement', 'open').length, 1);
      assert.equal(byType('email.engagement', 'click').length, 1);
      assert.equal(rx.requests.length, 3);

      const stored = events.find((e) => e.event === 'click');
      assert.equal(click.notification.emailId, id);
      assert.equal(click.notification.event?.url, stored?.raw.url);
      assert.equal(click.notification.event?.at, new Date((stored?.timestamp ?? 0) * 1000).toISOString());
      assert.match(click.notification.id, new RegExp(`^${id}:click:[0-9a-f]{16}$`));
      for (const r of rx.accepted()) assertSigned(r);
    } finally {
      await rx.close();
    }
  });

  it('without notifyEngagement, an open or click starts no callback', async () => {
    const rx = await startReceiver();
    try {
      const id = await sendEmail(sys, address('someone'), { callbackUrl: rx.url });
      await waitForStatus(sys, id, ['delivered']);
      await waitFor(() => rx.accepted().length > 0, { message: 'the outcome notification' });
      // A click of our own: once the webhook has answered, any callback for it would have been started.
      const raw = {
        email: 'someone@example.com',
        event: 'click',
        timestamp: 1_790_000_000,
        url: 'https://example.com/a',
        sg_event_id: `click-${id}`,
        mailroom_email_id: id,
      };
      const res = await sys.postWebhook([raw]);
      assert.deepEqual(res.body, { stored: 1, duplicates: 0 });
      const [doc] = (await sys.stores.events.forEmail(id)).filter((e) => e.event === 'click');
      await assert.rejects(
        temporal.workflow.getHandle(engagementNotificationId(id, doc)).describe(),
        (err) => err instanceof WorkflowNotFoundError,
      );
      assert.deepEqual(
        rx.requests.map((r) => r.notification.type),
        ['email.outcome'],
      );
    } finally {
      await rx.close();
    }
  });
});
