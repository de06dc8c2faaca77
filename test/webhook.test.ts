/**
 * POST /v1/webhooks/sendgrid as SendGrid calls it: signed JSON arrays of events, verified over the raw
 * bytes, stored durably before the 200, deduplicated even when SendGrid changes sg_event_id, and
 * applied to the email (late events too) and to the suppression list.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scopes } from '../db/counters';
import { randomBytes, randomUUID } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { Client, Connection } from '@temporalio/client';
import { parsePublicKey, verifySignature } from '../api/webhook-signature';
import type { EventDoc } from '../db/types';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  generateSigningKeyPair,
  parseSigningKey,
  publicKeyFor,
  signatureHeaders,
} from '../sandbox/signing';
import { type TestSystem, startTestSystem } from './support/stack';
import { address, sendEmail, waitForStatus } from './support/emails';
import { waitFor } from './support/wait';
import { nowSeconds, sgEvent } from './support/events';

let sys: TestSystem;
let temporal: Connection;

before(async () => {
  sys = await startTestSystem('webhook');
  temporal = await Connection.connect({ address: sys.env.api.TEMPORAL_ADDRESS });
});
after(async () => {
  await temporal?.close();
  await sys?.close();
});

/** Waits until the email's workflow has closed: from then on, only the API's late-event path can apply an event. */
async function workflowClosed(emailId: string): Promise<void> {
  const client = new Client({ connection: temporal, namespace: sys.env.api.TEMPORAL_NAMESPACE });
  await waitFor(async () => (await client.workflow.getHandle(emailId).describe()).status.name !== 'RUNNING', {
    timeoutMs: 15_000,
    message: `the workflow of ${emailId} to close`,
  });
}

const eventId = () => randomBytes(16).toString('base64url');

function signed(body: string, privateKey = sys.signingKey): Record<string, string> {
  return signatureHeaders(parseSigningKey(privateKey), Buffer.from(body, 'utf8'));
}

const postRaw = (body: string, headers: Record<string, string>) =>
  sys.call('POST', '/v1/webhooks/sendgrid', body, { 'content-type': 'application/json', ...headers });

/** Answered once stored; returns once the relay has applied it too. */
const postSigned = async (events: unknown) => {
  const body = JSON.stringify(events);
  const res = await postRaw(body, signed(body));
  await sys.relayed();
  return res;
};

const events = () => sys.stores.db.collection<EventDoc>('events');
const storedFor = (email: string) => events().countDocuments({ 'raw.email': email });

function assertError(res: { status: number; body: unknown }, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  const error = (res.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  assert.equal(error?.code, code, JSON.stringify(res.body));
  assert.equal(typeof error?.message, 'string');
}

describe('signature', () => {
  it('a batch signed with the sandbox key: 200, and the email shows the event', async () => {
    const to = address('someone');
    const id = await sendEmail(sys, to);
    await waitForStatus(sys, id, ['delivered']);
    const open = sgEvent(to, 'open', {
      mailroom_email_id: id,
      useragent: 'Mozilla/5.0 (Zoë’s Mac)',
      ip: '203.0.113.9',
      sg_machine_open: false,
    });
    const res = await postSigned([open]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // The 200 promises the event is stored: no waiting.
    const stored = await events().findOne({ sgEventId: open.sg_event_id });
    assert.equal(stored?.emailId, id);
    assert.equal(stored?.raw.useragent, 'Mozilla/5.0 (Zoë’s Mac)');
    const email = (await sys.call('GET', `/v1/emails/${id}`)).body;
    assert.ok(email.events.some((e: { sgEventId: string }) => e.sgEventId === open.sg_event_id));
    assert.equal(email.engagement.opens.count, 1);
  });

  it('missing signature headers: 401, nothing stored', async () => {
    const to = address('someone');
    const body = JSON.stringify([sgEvent(to, 'processed')]);
    const headers = signed(body);
    assertError(await postRaw(body, {}), 401, 'unauthorized');
    assertError(await postRaw(body, { [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER] }), 401, 'unauthorized');
    assertError(await postRaw(body, { [TIMESTAMP_HEADER]: headers[TIMESTAMP_HEADER] }), 401, 'unauthorized');
    assert.equal(await storedFor(to), 0);
  });

  it('signed with another key: 401, nothing stored', async () => {
    const to = address('someone');
    const body = JSON.stringify([sgEvent(to, 'bounce', { type: 'bounce', status: '5.1.1' })]);
    assertError(await postRaw(body, signed(body, generateSigningKeyPair().privateKey)), 401, 'unauthorized');
    assert.equal(await storedFor(to), 0);
    assert.equal(await sys.stores.suppressions.get(to), null, 'a forged bounce suppresses nothing');
  });

  it('one byte changed after signing: 401, nothing stored', async () => {
    const to = address('someone');
    const body = JSON.stringify([sgEvent(to, 'delivered', { response: '250 OK' })]);
    const headers = signed(body);
    const tampered = body.replace('250 OK', '250 OJ');
    assert.equal(Buffer.byteLength(tampered), Buffer.byteLength(body));
    assertError(await postRaw(tampered, headers), 401, 'unauthorized');
    // The signature covers the timestamp header too.
    const later = { ...headers, [TIMESTAMP_HEADER]: String(Number(headers[TIMESTAMP_HEADER]) + 1) };
    assertError(await postRaw(body, later), 401, 'unauthorized');
    assert.equal(await storedFor(to), 0);
  });

  it("@sendgrid/eventwebhook and the API's verifier agree: valid, tampered, forged", async () => {
    const publicKey = publicKeyFor(sys.signingKey);
    const official = new EventWebhook();
    const officialKey = official.convertPublicKeyToECDSA(publicKey);
    const ours = parsePublicKey(publicKey);
    const body = JSON.stringify([
      sgEvent(address('someone'), 'click', {
        url: 'https://example.com/ü?a=1&b=2',
        category: ['q3', 'news'],
      }),
      sgEvent(address('someone'), 'delivered', { response: '250 2.0.0 OK' }),
    ]);
    const valid = signed(body);
    const forged = signed(body, generateSigningKeyPair().privateKey);
    const cases = [
      { name: 'valid', body, headers: valid, expected: true },
      { name: 'tampered', body: body.replace('2.0.0', '2.0.1'), headers: valid, expected: false },
      { name: 'forged', body, headers: forged, expected: false },
    ];
    for (const c of cases) {
      const signature = c.headers[SIGNATURE_HEADER];
      const timestamp = c.headers[TIMESTAMP_HEADER];
      const raw = Buffer.from(c.body, 'utf8');
      assert.equal(
        official.verifySignature(officialKey, raw, signature, timestamp),
        c.expected,
        `official: ${c.name}`,
      );
      assert.equal(verifySignature(ours, raw, signature, timestamp), c.expected, `ours: ${c.name}`);
    }
  });
});

describe('malformed batches', () => {
  it('signed, but not JSON: 400', async () => {
    const body = '[{"email": "a@example.com", "event": "processed", ';
    assertError(await postRaw(body, signed(body)), 400, 'invalid_request');
  });

  it('signed, but an object instead of an array: 400, nothing stored', async () => {
    const to = address('someone');
    assertError(await postSigned(sgEvent(to, 'processed')), 400, 'invalid_request');
    assert.equal(await storedFor(to), 0);
  });

  it('events missing event or timestamp: 400 naming [i].event and [i].timestamp', async () => {
    const to = address('someone');
    const noEvent: Record<string, unknown> = sgEvent(to, 'processed');
    delete noEvent.event;
    const noTimestamp: Record<string, unknown> = sgEvent(to, 'delivered');
    delete noTimestamp.timestamp;
    const res = await postSigned([sgEvent(to, 'processed'), noEvent, noTimestamp]);
    assertError(res, 400, 'invalid_request');
    const fields = (res.body.error.details as { field: string }[]).map((d) => d.field);
    assert.ok(fields.includes('[1].event'), JSON.stringify(fields));
    assert.ok(fields.includes('[2].timestamp'), JSON.stringify(fields));
    assert.ok(!fields.some((f) => f.startsWith('[0]')), 'the good event is not named');
  });
});

describe('duplicates', () => {
  it('the same event posted twice (same sg_event_id), and twice in one batch: stored once', async () => {
    const to = address('someone');
    const processed = sgEvent(to, 'processed');
    assert.equal((await postSigned([processed])).status, 200);
    assert.equal((await postSigned([processed])).status, 200);
    const delivered = sgEvent(to, 'delivered', { response: '250 OK' });
    assert.equal((await postSigned([delivered, delivered])).status, 200);
    assert.equal(await events().countDocuments({ sgEventId: processed.sg_event_id }), 1);
    assert.equal(await events().countDocuments({ sgEventId: delivered.sg_event_id }), 1);
    assert.equal(await storedFor(to), 2);
  });

  it('the same click retried with a changed sg_event_id: stored and counted once', async () => {
    const to = address('someone');
    const id = await sendEmail(sys, to);
    await waitForStatus(sys, id, ['delivered']);
    const click = sgEvent(to, 'click', {
      mailroom_email_id: id,
      url: 'https://example.com/pricing',
      url_offset: { index: 0, type: 'html' },
    });
    assert.equal((await postSigned([click])).status, 200);
    const retry = { ...click, sg_event_id: eventId() };
    assert.equal((await postSigned([retry])).status, 200);
    const clicks = await events().countDocuments({ emailId: id, event: 'click' });
    assert.equal(clicks, 1);
    const email = (await sys.call('GET', `/v1/emails/${id}`)).body;
    assert.equal(email.engagement.clicks.count, 1);
    // A click of another link in the same second is a different event.
    assert.equal(
      (await postSigned([{ ...click, sg_event_id: eventId(), url: 'https://example.com/faq' }])).status,
      200,
    );
    assert.equal(await events().countDocuments({ emailId: id, event: 'click' }), 2);
  });
});

describe('events for emails Mailroom does not know', () => {
  it('no mailroom_email_id: 200 and stored', async () => {
    const to = address('someone');
    const res = await postSigned([
      sgEvent(to, 'processed'),
      sgEvent(to, 'delivered', { response: '250 OK' }),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await storedFor(to), 2);
  });

  it('two recipients of one send (one X-Message-Id), delivered in the same second: both stored', async () => {
    // One mail/send with two personalizations: SendGrid's sg_message_id is "<X-Message-Id>.<filter>.<index>".
    const messageId = randomBytes(16).toString('base64url');
    const first = address('someone');
    const second = address('someone');
    const timestamp = nowSeconds();
    const batch = [first, second].map((to, index) =>
      sgEvent(to, 'delivered', {
        timestamp,
        sg_message_id: `${messageId}.filterdrecv-5bd57db8c5-x2b8m-1-6650F3A1-1.${index}`,
        response: '250 OK',
      }),
    );
    const res = await postSigned(batch);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await storedFor(first), 1, "the first recipient's event");
    assert.equal(await storedFor(second), 1, "the second recipient's event");
  });

  it('a mailroom_email_id that does not exist: 200 and stored under that id', async () => {
    const to = address('someone');
    const ghost = `em_${randomUUID().replace(/-/g, '')}`;
    const res = await postSigned([
      sgEvent(to, 'delivered', { mailroom_email_id: ghost, response: '250 OK' }),
    ]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await events().countDocuments({ emailId: ghost }), 1);
    assert.equal((await sys.call('GET', `/v1/emails/${ghost}`)).status, 404);
  });
});

describe('applying events', () => {
  const lateDelivered = (to: string, id: string, messageId: string) =>
    sgEvent(to, 'delivered', {
      sg_message_id: `${messageId}.filterdrecv-late-1-0`,
      response: '250 2.0.0 OK',
      tls: 1,
      mailroom_email_id: id,
    });

  it('a delivered event after the email went unconfirmed (workflow closed) makes it delivered', async () => {
    const to = address('silent');
    const campaignId = `cmp_late_${randomUUID().slice(0, 8)}`;
    const id = await sendEmail(sys, to, { deliveryTimeout: '2s', campaignId });
    const unconfirmed = await waitForStatus(sys, id, ['unconfirmed']);
    assert.equal(unconfirmed.outcome.reason, 'No confirmation of delivery within 2 seconds');
    await workflowClosed(id);
    assert.equal((await postSigned([lateDelivered(to, id, unconfirmed.provider.messageId)])).status, 200);
    const email = await waitForStatus(sys, id, ['delivered'], 10_000);
    assert.equal(email.outcome.result, 'delivered');
    assert.equal(email.outcome.reason, "Delivered to the recipient's mail server");
    assert.deepEqual(
      email.events.map((e: { event: string }) => e.event),
      ['processed', 'delivered'],
    );
    // The counters move with the record: unconfirmed taken back, delivered counted.
    await waitFor(
      async () => {
        const counts = await sys.stores.counters.totals(scopes.campaign(campaignId));
        return counts.sent === 1 && counts.unconfirmed === 0 && counts.delivered === 1;
      },
      { message: 'the counters to take back unconfirmed and count delivered' },
    );
  });

  it('a delivered event posted the moment the email is recorded unconfirmed is not lost (race, 20 emails)', async () => {
    // The workflow records "unconfirmed", then completes: an event signaled in between must still count.
    const stuck = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const to = address('silent');
        const id = await sendEmail(sys, to, { deliveryTimeout: '1s' });
        const doc = await waitFor(
          async () => {
            const email = await sys.stores.emails.get(id);
            return email?.status === 'unconfirmed' ? email : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 5, message: `${id} recorded unconfirmed` },
        );
        assert.equal((await postSigned([lateDelivered(to, id, doc.provider.messageId ?? '')])).status, 200);
        return waitForStatus(sys, id, ['delivered'], 10_000).then(
          () => null,
          () => id,
        );
      }),
    );
    assert.deepEqual(
      stuck.filter((id) => id !== null),
      [],
      'emails left "unconfirmed" although their delivered event was stored',
    );
  });

  it('a hard bounce posted for an address puts it on the suppression list', async () => {
    const to = address('someone');
    const bounce = sgEvent(to.toUpperCase(), 'bounce', {
      type: 'bounce',
      status: '5.1.1',
      reason: '550 5.1.1 The email account that you tried to reach does not exist',
      bounce_classification: 'Invalid Address',
    });
    assert.equal((await postSigned([bounce])).status, 200);
    const entry = await sys.stores.suppressions.get(to);
    assert.equal(entry?.reason, 'hard bounce');
    assert.equal(entry?.email, to);
  });
});

// Last: a batch the API is slow to store keeps it busy after the test gives up on it.
describe('large batches', () => {
  /**
   * Delivered events for mail Mailroom did not send, until the JSON reaches `bytes`. `customArgs` go in
   * every event as top-level keys, as SendGrid sends them (up to 10,000 bytes of them per message).
   */
  function batchOf(bytes: number, tag: string, customArgs: Record<string, string> = {}) {
    const batch: Record<string, unknown>[] = [];
    let size = 2;
    while (size < bytes) {
      const i = batch.length;
      const event = sgEvent(`bulk+${tag}-${i}@example.com`, 'delivered', {
        sg_message_id: `${randomBytes(16).toString('base64url')}.filterdrecv-5bd57db8c5-x2b8m-1-6650F3A1-${i.toString(16)}.0`,
        response: '250 2.0.0 OK  1717891234 d75a77b69052e-43fb1a2b3c4si123456qtf.123 - gsmtp',
        tls: 1,
        ip: '149.72.123.45',
        category: ['newsletter', 'q3'],
        pool: { name: 'shared', id: 210 },
        batch_tag: tag,
        ...customArgs,
      });
      batch.push(event);
      size += JSON.stringify(event).length + 1;
    }
    return batch;
  }

  /** Posts with a deadline, so a slow answer fails the test instead of stalling it. */
  async function postWithin(ms: number, body: string) {
    const started = Date.now();
    const res = await fetch(`${sys.api.url}/v1/webhooks/sendgrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed(body) },
      body,
      signal: AbortSignal.timeout(ms),
    }).catch((err: Error) => {
      throw new Error(`no answer within ${ms} ms (${err.name})`);
    });
    return { status: res.status, text: await res.text(), ms: Date.now() - started };
  }

  const cases: { label: string; bytes: number; customArgs: Record<string, string> }[] = [
    { label: 'over 100 kB of ~230 events', bytes: 110_000, customArgs: {} },
    {
      label: 'of ~900 kB: 180 events carrying 5 kB of custom args each',
      bytes: 900_000,
      customArgs: { crm_ref: 'x'.repeat(5000) },
    },
    { label: 'of 768 KB of ~1,500 events (a full SendGrid batch)', bytes: 768 * 1024, customArgs: {} },
  ];
  for (const { label, bytes, customArgs } of cases) {
    it(`a batch ${label}: 200 within 60 s, every event stored`, async () => {
      const tag = randomUUID();
      const batch = batchOf(bytes, tag, customArgs);
      const body = JSON.stringify(batch);
      assert.ok(Buffer.byteLength(body) >= bytes);
      const res = await postWithin(60_000, body);
      assert.equal(res.status, 200, `${res.text} after ${res.ms} ms, ${batch.length} events`);
      assert.equal(await events().countDocuments({ 'raw.batch_tag': tag }), batch.length);
    });
  }
});
