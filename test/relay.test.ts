/**
 * No event lost, none applied twice: Temporal goes away, SendGrid's events still get a 200 because
 * they are stored; when Temporal is back, the relay delivers each of them to its workflow once.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningTemporal, startTemporal } from '../dev/temporal';
import { toEventDoc } from '../api/webhook-events';
import { address, sendEmail, waitForStatus } from './support/emails';
import { type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

let temporal: RunningTemporal;
let sys: TestSystem;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mailroom-relay-'));
const dbFile = path.join(dir, 'temporal.db');

before(async () => {
  temporal = await startTemporal({ dbFile });
  sys = await startTestSystem('relay', { temporalAddress: temporal.address });
});
after(async () => {
  await sys?.close();
  await temporal?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('events posted while Temporal is down are stored, then applied exactly once when it is back', async () => {
  const to = address('silent');
  const id = await sendEmail(sys, to, { deliveryTimeout: '1h' });
  await waitForStatus(sys, id, ['sent']);

  const port = Number(temporal.address.split(':').pop());
  await temporal.stop();

  const now = Math.floor(Date.now() / 1000);
  const events = ['delivered', 'open'].map((event, i) => ({
    email: to,
    event,
    timestamp: now + i,
    sg_event_id: `relay-${id}-${event}`,
    mailroom_email_id: id,
  }));
  const res = await sys.postWebhook(events, { applied: false });
  assert.equal(res.status, 200, 'stored, so SendGrid is answered 200 even with Temporal away');
  const pendingBatches = await sys.stores.batches.pending(new Date(Date.now() + 60_000), 100);
  const waiting = (await Promise.all(pendingBatches.map((b) => sys.stores.events.ofBatch(b)))).flat();
  assert.deepEqual(
    waiting.map((e) => e.event).filter((e) => e !== 'processed'),
    ['delivered', 'open'],
    'stored in a batch still pending for the relay',
  );
  assert.equal((await sys.call('GET', `/v1/emails/${id}`)).body.status, 'sent', 'nothing applied yet');

  // SendGrid retries the batch while we are down: still stored once.
  assert.equal((await sys.postWebhook(events, { applied: false })).status, 200);

  temporal = await startTemporal({ port, dbFile });
  const email = await waitForStatus(sys, id, ['delivered'], 60_000);
  assert.equal(email.outcome.reason, "Delivered to the recipient's mail server");

  await waitFor(
    async () => (await sys.stores.batches.pending(new Date(Date.now() + 60_000), 100)).length === 0,
    {
      timeoutMs: 30_000,
      message: 'every pending batch relayed',
    },
  );
  const stored = await sys.stores.events.forEmail(id);
  assert.deepEqual(
    stored.map((e) => e.event).filter((e) => e !== 'processed'),
    ['delivered', 'open'],
    'each event stored once, though posted twice',
  );

  const history = await temporal.env.client.workflow.getHandle(id).fetchHistory();
  const signaledKeys = (history.events ?? []).flatMap((e) =>
    (e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? []).map(
      (p) => (JSON.parse(Buffer.from(p.data ?? []).toString('utf8')) as { key: string }).key,
    ),
  );
  for (const event of stored) {
    // processed changes nothing in the workflow, so it is stored but never signaled.
    const times = event.event === 'processed' ? 0 : 1;
    assert.equal(signaledKeys.filter((key) => key === event._id).length, times, `${event.event} signaled`);
  }
  assert.ok(
    stored.some((e) => e.event === 'processed'),
    'the sandbox posted processed too',
  );
});

it('a batch another API stored but never applied (it died) is applied after the grace period', async () => {
  const to = address('silent');
  const id = await sendEmail(sys, to, { deliveryTimeout: '1h' });
  await waitForStatus(sys, id, ['sent']);

  // What storeBatch writes, as the other process left it: a pending record and its events.
  const receivedAt = new Date(Date.now() - 60_000);
  const raw = {
    email: to,
    event: 'delivered',
    timestamp: Math.floor(Date.now() / 1000),
    sg_event_id: `orphan-${id}`,
    mailroom_email_id: id,
  };
  const doc = toEventDoc(raw, receivedAt, 0, `wb_orphan_${id}`);
  await sys.stores.batches.open({
    _id: doc.batchId,
    receivedAt,
    events: 1,
    eventIds: [doc._id],
    pending: true,
  });
  await sys.stores.events.insertNew([doc]);

  const email = await waitForStatus(sys, id, ['delivered'], 30_000);
  assert.equal(email.outcome.reason, "Delivered to the recipient's mail server");
  await waitFor(async () => (await sys.stores.batches.pending(new Date(), 10)).length === 0, {
    message: 'the orphaned batch applied and removed',
  });
});

it('events for an email whose record is final go to the record without Temporal', async () => {
  const to = address('someone');
  const id = await sendEmail(sys, to);
  await waitForStatus(sys, id, ['delivered']);

  // Its workflow has ended; nothing about these events needs Temporal, so they apply while it is away.
  const port = Number(temporal.address.split(':').pop());
  await temporal.stop();
  try {
    const now = Math.floor(Date.now() / 1000);
    const open = {
      email: to,
      event: 'open',
      timestamp: now,
      sg_event_id: `final-${id}-open`,
      mailroom_email_id: id,
    };
    const bounce = {
      email: to,
      event: 'bounce',
      type: 'bounce',
      status: '5.1.1',
      reason: '550 5.1.1 The email account that you tried to reach does not exist',
      timestamp: now + 1,
      sg_event_id: `final-${id}-bounce`,
      mailroom_email_id: id,
    };
    // Returns once the relay has applied the batch: it would stay pending had a signal been tried.
    assert.deepEqual((await sys.postWebhook([open, bounce])).body, { stored: 2, duplicates: 0 });
    const email = (await sys.call('GET', `/v1/emails/${id}`)).body;
    assert.equal(email.status, 'bounced', 'a bounce after delivered replaces it on the record');
    assert.equal(email.engagement.opens.count, 1);
  } finally {
    temporal = await startTemporal({ port, dbFile });
  }
});
