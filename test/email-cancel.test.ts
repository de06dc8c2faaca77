/**
 * A single email's sendAt and cancel through the API, on the real stack: a durable timer holds it,
 * cancel stops it before its time, and an email already with SendGrid cannot be canceled.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { address, sendEmail, waitForStatus } from './support/emails';
import { type TestSystem, startTestSystem } from './support/stack';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('email_cancel');
});
after(async () => {
  await sys?.close();
});

async function sandboxRequests(to: string): Promise<number> {
  const res = await fetch(`${sys.sandbox.url}/sandbox/messages?to=${encodeURIComponent(to)}`);
  return ((await res.json()) as unknown[]).length;
}

it('a scheduled email canceled before its time is never sent', async () => {
  const to = address('deliver');
  const sendAt = new Date(Date.now() + 3_600_000).toISOString();
  const res = await sys.call('POST', '/v1/emails', { to, subject: 'Later', text: 'Later', sendAt });
  assert.equal(res.status, 202);
  assert.equal(res.body.status, 'scheduled');
  const id = res.body.id as string;
  assert.equal((await sys.call('GET', `/v1/emails/${id}`)).body.status, 'scheduled');

  const cancel = await sys.call('POST', `/v1/emails/${id}/cancel`, { reason: 'the meeting moved' });
  assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
  assert.deepEqual(cancel.body, { id, status: 'canceled' });
  const email = await waitForStatus(sys, id, ['canceled']);
  assert.equal(email.outcome.reason, 'Canceled before it was sent: the meeting moved');
  assert.equal(await sandboxRequests(to), 0);

  const again = await sys.call('POST', `/v1/emails/${id}/cancel`, {});
  assert.equal(again.status, 409);
  assert.equal(again.body.error.message, 'the email cannot be canceled: it is canceled');
});

it('a sendAt already past sends at once', async () => {
  const to = address('deliver');
  const id = await sendEmail(sys, to, { sendAt: new Date(Date.now() - 60_000).toISOString() });
  await waitForStatus(sys, id, ['delivered']);
  assert.equal(await sandboxRequests(to), 1);
});

it('an email already with SendGrid cannot be canceled', async () => {
  const id = await sendEmail(sys, address('deliver'));
  await waitForStatus(sys, id, ['delivered']);
  const res = await sys.call('POST', `/v1/emails/${id}/cancel`, {});
  assert.equal(res.status, 409);
  assert.equal(res.body.error.message, 'the email cannot be canceled: it is delivered');
});

it('bad sendAt and unknown ids are named', async () => {
  const far = new Date(Date.now() + 40 * 86_400_000).toISOString();
  const res = await sys.call('POST', '/v1/emails', {
    to: address('deliver'),
    subject: 's',
    text: 't',
    sendAt: far,
  });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body.error.details, [{ field: 'sendAt', message: 'must be at most 30 days ahead' }]);
  const bad = await sys.call('POST', '/v1/emails', {
    to: address('deliver'),
    subject: 's',
    text: 't',
    sendAt: 'soon',
  });
  assert.equal(bad.body.error.details[0].field, 'sendAt');
  assert.equal((await sys.call('POST', '/v1/emails/em_nope/cancel', {})).status, 404);
});
