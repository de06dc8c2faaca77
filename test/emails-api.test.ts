/**
 * The HTTP contract of issue #2 for sending and reading emails: auth, the 202 and its Location,
 * the email's representation, validation naming every bad field, and Idempotency-Key, checked
 * against the real API, worker, Temporal and the SendGrid sandbox (which counts every mail/send).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ReceivedRequest } from '../sandbox/mail-send';
import { type TestSystem, startTestSystem } from './support/stack';
import { address, emailBody, waitForStatus } from './support/emails';
import { waitFor } from './support/wait';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('emails_api');
});
after(async () => {
  await sys?.close();
});

const CONTRACT_FIELDS = [
  'id',
  'to',
  'from',
  'subject',
  'campaignId',
  'categories',
  'metadata',
  'status',
  'outcome',
  'provider',
  'engagement',
  'events',
  'createdAt',
  'updatedAt',
];
const FINAL = ['delivered', 'bounced', 'dropped', 'suppressed', 'rejected', 'failed', 'unconfirmed'];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every mail/send request the sandbox received for this recipient, whatever it answered. */
async function sandboxSends(to: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${sys.sandbox.url}/sandbox/messages?to=${encodeURIComponent(to)}`);
  assert.equal(res.status, 200);
  return (await res.json()) as ReceivedRequest[];
}

/** Waits for the first send to arrive, then for every email given to be final, then counts. */
async function sendsOnceSettled(to: string, ids: string[]): Promise<ReceivedRequest[]> {
  await waitFor(async () => (await sandboxSends(to)).length > 0, {
    timeoutMs: 30_000,
    message: `a mail/send for ${to}`,
  });
  for (const id of ids) await waitForStatus(sys, id, FINAL);
  return sandboxSends(to);
}

// Bodies are the sandbox's JSON, as received.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const personalization = (request: ReceivedRequest): any => (request.body as any).personalizations[0];

function assertErrorBody(body: unknown, code: string): void {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  assert.ok(error && typeof error === 'object', `an {"error":{…}} body, got ${JSON.stringify(body)}`);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok((error.message as string).length > 0, 'a message');
  if ('details' in error) {
    assert.ok(Array.isArray(error.details));
    for (const detail of error.details as unknown[]) {
      assert.equal(typeof (detail as { field?: unknown }).field, 'string');
      assert.equal(typeof (detail as { message?: unknown }).message, 'string');
    }
  }
}

/** The fields a 400 names; a field "x" counts as named by "x" or by a detail inside it ("x.email"). */
function assertNamesFields(body: { error: { details?: { field: string }[] } }, fields: string[]): void {
  const named = (body.error.details ?? []).map((d) => d.field);
  for (const field of fields) {
    assert.ok(
      named.some((n) => n === field || n.startsWith(`${field}.`)),
      `${field} named in details; named: ${JSON.stringify(named)}`,
    );
  }
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  sys.call('POST', '/v1/emails', body, { authorization: 'Bearer test-api-key', ...headers });

describe('auth', () => {
  it('no Authorization header: 401 with the error body, nothing accepted', async () => {
    const to = address('someone');
    const res = await sys.call('POST', '/v1/emails', emailBody(to), {});
    assert.equal(res.status, 401);
    assertErrorBody(res.body, 'unauthorized');
    const get = await sys.call('GET', '/v1/emails/em_whatever', undefined, {});
    assert.equal(get.status, 401);
    assertErrorBody(get.body, 'unauthorized');
    assert.equal(await sys.stores.db.collection('emails').countDocuments({ 'to.email': to }), 0);
  });

  it('a wrong key, or not a Bearer key: 401 with the error body, nothing accepted', async () => {
    const to = address('someone');
    for (const authorization of ['Bearer not-the-key', 'Bearer test-api-key-2', 'Basic dGVzdC1hcGkta2V5']) {
      const res = await sys.call('POST', '/v1/emails', emailBody(to), { authorization });
      assert.equal(res.status, 401, authorization);
      assertErrorBody(res.body, 'unauthorized');
    }
    assert.equal(await sys.stores.db.collection('emails').countDocuments({ 'to.email': to }), 0);
  });
});

describe('POST /v1/emails and GET /v1/emails/:id', () => {
  it('202 {id, status: queued} with a Location, and GET at once answers 200 with every contract field', async () => {
    const to = address('someone');
    const res = await post(
      emailBody(to, { campaignId: 'q3-report', categories: ['reports', 'q3'], metadata: { customer: '42' } }),
    );
    assert.equal(res.status, 202);
    assert.deepEqual(Object.keys(res.body).sort(), ['id', 'status']);
    assert.equal(res.body.status, 'queued');
    assert.match(res.body.id, /^\S+$/);
    const id = res.body.id as string;
    assert.equal(res.headers.get('location'), `/v1/emails/${id}`);

    const get = await sys.call('GET', res.headers.get('location') as string);
    assert.equal(get.status, 200, 'never 404 right after the POST');
    const email = get.body;
    for (const field of CONTRACT_FIELDS) assert.ok(Object.hasOwn(email, field), `has ${field}`);
    assert.equal(email.id, id);
    assert.deepEqual(email.to, { email: to });
    assert.equal(email.subject, 'Quarterly numbers');
    assert.equal(email.campaignId, 'q3-report');
    assert.deepEqual(email.categories, ['reports', 'q3']);
    assert.deepEqual(email.metadata, { customer: '42' });
    assert.ok(
      ['queued', 'sending', 'sent', 'deferred', 'delivered'].includes(email.status),
      `status ${email.status}`,
    );
    if (!FINAL.includes(email.status)) assert.equal(email.outcome, null, 'outcome null until final');
    assert.deepEqual(Object.keys(email.provider).sort(), ['attempts', 'messageId', 'request', 'response']);
    assert.deepEqual(Object.keys(email.engagement).sort(), ['clicks', 'machineOpens', 'opens']);
    assert.ok(Array.isArray(email.events));
    assert.match(email.createdAt, ISO);
    assert.match(email.updatedAt, ISO);

    const done = await waitForStatus(sys, id, ['delivered']);
    assert.deepEqual(Object.keys(done.outcome).sort(), ['at', 'detail', 'reason', 'result']);
    assert.equal(done.outcome.result, 'delivered');
    assert.match(done.outcome.at, ISO);
    assert.deepEqual(Object.keys(done.provider.response).sort(), ['body', 'headers', 'statusCode']);
    assert.equal(done.provider.response.statusCode, 202);
    assert.equal(done.provider.attempts, 1);
    assert.ok(done.provider.messageId, 'X-Message-Id recorded');
    assert.ok(!JSON.stringify(done.provider).includes('SG.sandbox-key'), 'the API key never appears');
    assert.ok(done.updatedAt >= done.createdAt);
  });

  it('from defaults to DEFAULT_FROM, in the record and in the request SendGrid gets', async () => {
    const to = address('someone');
    const id = (await post(emailBody(to))).body.id as string;
    const email = await waitForStatus(sys, id, ['delivered']);
    assert.deepEqual(email.from, { email: 'no-reply@mailroom.test', name: 'Mailroom' });
    const [sent] = await sandboxSends(to);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    assert.deepEqual((sent.body as any).from, { email: 'no-reply@mailroom.test', name: 'Mailroom' });
  });

  it('an explicit from is used instead of the default', async () => {
    const to = address('someone');
    const from = { email: 'sales@mailroom.test', name: 'Sales' };
    const id = (await post(emailBody(to, { from }))).body.id as string;
    const email = await waitForStatus(sys, id, ['delivered']);
    assert.deepEqual(email.from, from);
    const [sent] = await sandboxSends(to);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    assert.deepEqual((sent.body as any).from, from);
  });

  it('to as {email, name}: kept, and sent with the name', async () => {
    const to = address('someone');
    const res = await post(emailBody(to, { to: { email: to, name: 'Ada Lovelace' } }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const email = await waitForStatus(sys, res.body.id, ['delivered']);
    assert.deepEqual(email.to, { email: to, name: 'Ada Lovelace' });
    const [sent] = await sandboxSends(to);
    assert.deepEqual(personalization(sent).to, [{ email: to, name: 'Ada Lovelace' }]);
  });

  it('templateId with templateData, no subject or text: accepted and sent as a dynamic template', async () => {
    const to = address('someone');
    const res = await post({ to, templateId: 'd-0123456789abcdef', templateData: { first: 'Ada', n: 3 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const email = await waitForStatus(sys, res.body.id, ['delivered']);
    assert.equal(email.subject, null);
    const [sent] = await sandboxSends(to);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    assert.equal((sent.body as any).template_id, 'd-0123456789abcdef');
    assert.deepEqual(personalization(sent).dynamic_template_data, { first: 'Ada', n: 3 });
  });

  it('ten emails posted at once: each GET right after its POST answers 200', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await post(emailBody(address('someone')));
        assert.equal(res.status, 202);
        const get = await sys.call('GET', `/v1/emails/${res.body.id}`);
        return get.status;
      }),
    );
    assert.deepEqual(statuses, Array(10).fill(200));
  });

  it('an unknown id: 404 with the error body', async () => {
    const res = await sys.call('GET', `/v1/emails/em_${randomUUID().replace(/-/g, '')}`);
    assert.equal(res.status, 404);
    assertErrorBody(res.body, 'not_found');
  });
});

describe('bad requests', () => {
  it('one body with five bad fields: 400 naming every one of them', async () => {
    const to = address('someone');
    const res = await post({
      to: 'not-an-address',
      subject: 'Hello',
      text: 'Hi',
      categories: Array.from({ length: 11 }, (_, i) => `c${i}`),
      metadata: { customer: 42 },
      deliveryTimeout: 'soon',
      colour: 'red',
    });
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_request');
    assertNamesFields(res.body, ['to', 'categories', 'metadata', 'deliveryTimeout', 'colour']);
    assert.equal(await sys.stores.db.collection('emails').countDocuments({ 'to.email': to }), 0);
  });

  it('a bad field and missing content together: 400 naming both', async () => {
    const res = await post({ to: 'not-an-address' });
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_request');
    assertNamesFields(res.body, ['to', 'subject', 'text']);
  });

  it('a body that is not JSON: 400 with the error body', async () => {
    const res = await post('{"to": "someone@example.com", "subject": ');
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_request');
    const plain = await post('to=someone@example.com', { 'content-type': 'text/plain' });
    assert.equal(plain.status, 400);
    assertErrorBody(plain.body, 'invalid_request');
  });

  it('a body that is a JSON array: 400', async () => {
    const res = await post([emailBody(address('someone'))]);
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_request');
  });

  it('no subject and no templateId: 400 naming subject', async () => {
    const res = await post({ to: address('someone'), text: 'Hi' });
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_request');
    assertNamesFields(res.body, ['subject']);
  });

  it('both text and templateId: 400 naming them', async () => {
    const res = await post({ to: address('someone'), subject: 'Hi', text: 'Hi', templateId: 'd-1' });
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_request');
    const named = (res.body.error.details as { field: string }[]).map((d) => d.field);
    assert.ok(named.includes('templateId') || named.includes('text'), JSON.stringify(named));
  });

  it('a bad request loses nothing already accepted', async () => {
    const to = address('someone');
    const id = (await post(emailBody(to))).body.id as string;
    const bad = await post({ ...emailBody(to), deliveryTimeout: 'forever' });
    assert.equal(bad.status, 400);
    const email = await waitForStatus(sys, id, ['delivered']);
    assert.equal(email.id, id);
    assert.equal((await sendsOnceSettled(to, [id])).length, 1);
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body (keys in another order): the same id, one mail/send', async () => {
    const to = address('someone');
    const key = randomUUID();
    const first = await post(
      { to, subject: 'Invoice', text: 'Attached.', metadata: { a: '1', b: '2' } },
      { 'idempotency-key': key },
    );
    assert.equal(first.status, 202);
    await waitForStatus(sys, first.body.id, ['delivered']);
    const again = await post(
      { metadata: { b: '2', a: '1' }, text: 'Attached.', subject: 'Invoice', to },
      { 'idempotency-key': key },
    );
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.id, first.body.id);
    const sends = await sendsOnceSettled(to, [first.body.id]);
    assert.equal(sends.length, 1, 'sent once');
    assert.equal(await sys.stores.db.collection('emails').countDocuments({ 'to.email': to }), 1);
  });

  it('the same key with a different body: 409, nothing new recorded or sent', async () => {
    const to = address('someone');
    const key = randomUUID();
    const first = await post(emailBody(to), { 'idempotency-key': key });
    assert.equal(first.status, 202);
    const other = await post(emailBody(to, { subject: 'Something else' }), { 'idempotency-key': key });
    assert.equal(other.status, 409);
    assertErrorBody(other.body, 'conflict');
    const sends = await sendsOnceSettled(to, [first.body.id]);
    assert.equal(sends.length, 1);
    assert.equal(
      (sends[0].body as { subject?: string }).subject,
      'Quarterly numbers',
      'the first body was sent',
    );
    assert.equal(await sys.stores.db.collection('emails').countDocuments({ 'to.email': to }), 1);
  });

  it('five concurrent identical requests with one key: one id, one mail/send', async () => {
    const to = address('someone');
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => post(emailBody(to), { 'idempotency-key': key })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      [202, 202, 202, 202, 202],
      JSON.stringify(results.map((r) => r.body)),
    );
    const ids = new Set(results.map((r) => r.body.id as string));
    assert.equal(ids.size, 1, `ids: ${[...ids].join(', ')}`);
    const [id] = ids;
    await waitForStatus(sys, id, ['delivered']);
    assert.equal((await sendsOnceSettled(to, [id])).length, 1);
    assert.equal(await sys.stores.db.collection('emails').countDocuments({ 'to.email': to }), 1);
  });
});
