/**
 * The send activity never lets a retry overlap a send: an attempt with too little time left does not
 * send, and an attempt after one that sent reports that send instead of sending again. Run against
 * the real database and sandbox, with the attempt's timing given by Temporal's mock activity context.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createSendGrid } from '../activities/sendgrid';
import { createSendingActivities } from '../activities/sending';
import { SANDBOX_SENDGRID_KEY } from '../dev/system';
import { address, sendEmail } from './support/emails';
import { type TestSystem, startTestSystem } from './support/stack';
import { waitFor } from './support/wait';

let sys: TestSystem;
let activities: ReturnType<typeof createSendingActivities>;

before(async () => {
  sys = await startTestSystem('send-activity');
  activities = createSendingActivities({
    ...sys.stores,
    sendgrid: createSendGrid({ apiKey: SANDBOX_SENDGRID_KEY, apiUrl: sys.sandbox.url }),
  });
});
after(async () => {
  await sys?.close();
});

/** An email stored and scheduled far ahead, so only this test's calls send it. */
async function storedEmail(): Promise<{ id: string; to: string }> {
  const to = address('someone');
  const id = await sendEmail(sys, to, { sendAt: new Date(Date.now() + 86_400_000).toISOString() });
  await waitFor(async () => (await sys.stores.emails.get(id)) ?? undefined, {
    message: `email ${id} stored`,
  });
  return { id, to };
}

async function requestsTo(to: string): Promise<number> {
  const res = await fetch(`${sys.sandbox.url}/sandbox/messages`);
  const messages = (await res.json()) as { body: { personalizations: { to: { email: string }[] }[] } }[];
  return messages.filter((m) => m.body.personalizations[0].to[0].email === to).length;
}

/** One attempt of sendEmail, as Temporal would run it: its number and its start-to-close timeout. */
const sendAttempt = (emailId: string, attempt: number, startToCloseTimeoutMs: number) =>
  new MockActivityEnvironment({ attempt, startToCloseTimeoutMs }).run(
    activities.sendEmail,
    emailId,
  ) as Promise<{ messageId: string | null }>;

it('an attempt with less time left than a request may take does not send, and is retried', async () => {
  const { id, to } = await storedEmail();
  await assert.rejects(sendAttempt(id, 1, 10_000), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'SendWindowTooShortError');
    assert.equal(err.nonRetryable, false);
    return true;
  });
  assert.equal(await requestsTo(to), 0);
});

it('an attempt after one that sent returns that send without sending again', async () => {
  const { id, to } = await storedEmail();
  const first = await sendAttempt(id, 1, 120_000);
  assert.ok(first.messageId, 'the first attempt got an X-Message-Id');
  const retry = await sendAttempt(id, 2, 120_000);
  assert.deepEqual(retry, first);
  assert.equal(await requestsTo(to), 1);
  assert.equal((await sys.stores.emails.get(id))?.provider.attempts, 1);
});
