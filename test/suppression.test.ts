/**
 * Issue #2's "Done when": an address that hard-bounced, was dropped as invalid or reported spam is on
 * the suppression list, and the next email to it ends "suppressed" without any request reaching
 * SendGrid; a soft (blocked) bounce suppresses nothing. End to end through the API, Temporal,
 * the worker and the SendGrid sandbox, which counts every mail/send it receives.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReceivedRequest } from '../sandbox/mail-send';
import { type TestSystem, startTestSystem } from './support/stack';
import { address, sendEmail, waitForStatus } from './support/emails';
import { waitFor } from './support/wait';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('suppression');
});
after(async () => {
  await sys?.close();
});

const SUPPRESSED_REASON = /^On the suppression list since \d{4}-\d{2}-\d{2}: /;

async function sandboxSends(to: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${sys.sandbox.url}/sandbox/messages?to=${encodeURIComponent(to.trim())}`);
  assert.equal(res.status, 200);
  return (await res.json()) as ReceivedRequest[];
}

const waitForSuppression = (to: string) =>
  waitFor(() => sys.stores.suppressions.get(to), {
    timeoutMs: 30_000,
    message: `${to} on the suppression list`,
  });

/** The next email to `to` (written as `written`) ends suppressed, citing `reason`, and nothing more was sent. */
async function assertNextSuppressed(to: string, written: string, reason: string): Promise<void> {
  const res = await sys.call('POST', '/v1/emails', {
    to: written,
    subject: 'Quarterly numbers',
    text: 'The numbers are in.',
  });
  assert.equal(res.status, 202, `to ${JSON.stringify(written)}: ${JSON.stringify(res.body)}`);
  const email = await waitForStatus(sys, res.body.id, ['suppressed']);
  assert.match(email.outcome.reason, SUPPRESSED_REASON);
  assert.ok(email.outcome.reason.endsWith(`: ${reason}`), email.outcome.reason);
  assert.equal(email.provider.attempts, 0);
  assert.equal(email.provider.request, null, 'no request built for SendGrid');
  assert.equal((await sandboxSends(to)).length, 1, 'SendGrid got only the first email');
}

describe('addresses that end up suppressed', () => {
  it('bounce@: bounced "The mailbox does not exist (550 5.1.1)", suppressed, the next email (other case) suppressed', async () => {
    const to = address('bounce');
    const first = await waitForStatus(sys, await sendEmail(sys, to), ['bounced']);
    assert.equal(first.outcome.reason, 'The mailbox does not exist (550 5.1.1)');
    const entry = await sys.stores.suppressions.get(to);
    assert.equal(entry?.reason, 'hard bounce');
    assert.equal(entry?.emailId, first.id);
    assert.equal((await sandboxSends(to)).length, 1);
    await assertNextSuppressed(to, to.toUpperCase(), 'hard bounce');
    await assertNextSuppressed(to, to, 'hard bounce');
  });

  it('bounce@: the next email with spaces around the address is suppressed too', async () => {
    const to = address('bounce');
    await waitForStatus(sys, await sendEmail(sys, to), ['bounced']);
    assert.ok(await sys.stores.suppressions.get(to));
    await assertNextSuppressed(to, `  ${to} `, 'hard bounce');
  });

  it('drop@: dropped as Invalid, suppressed, the next email suppressed', async () => {
    const to = address('drop');
    const first = await waitForStatus(sys, await sendEmail(sys, to), ['dropped']);
    assert.equal(first.outcome.reason, 'SendGrid did not send it: the address is not a valid email address');
    const entry = await sys.stores.suppressions.get(to);
    assert.equal(entry?.reason, 'dropped by SendGrid: Invalid');
    assert.equal(entry?.emailId, first.id);
    await assertNextSuppressed(to, to.replace('drop', 'DROP'), 'dropped by SendGrid: Invalid');
  });

  it('spam@: delivered, then the spam report suppresses, the next email suppressed', async () => {
    const to = address('spam');
    const first = await waitForStatus(sys, await sendEmail(sys, to), ['delivered']);
    const entry = await waitForSuppression(to);
    assert.equal(entry.reason, 'spam report');
    assert.equal(entry.emailId, first.id);
    await assertNextSuppressed(to, to, 'spam report');
  });
});

describe('addresses that stay sendable', () => {
  it('block@: a blocked (soft) bounce does not suppress; the next email is sent', async () => {
    const to = address('block');
    const first = await waitForStatus(sys, await sendEmail(sys, to), ['bounced']);
    assert.equal(first.outcome.detail.bounceType, 'blocked');
    // The bounce was applied to the suppression list before it reached the workflow.
    assert.equal(await sys.stores.suppressions.get(to), null);
    const second = await waitForStatus(sys, await sendEmail(sys, to), ['bounced', 'suppressed']);
    assert.equal(second.status, 'bounced', second.outcome.reason);
    assert.equal((await sandboxSends(to)).length, 2);
  });

  it('someone@: delivered, not suppressed; the next email is delivered', async () => {
    const to = address('someone');
    await waitForStatus(sys, await sendEmail(sys, to), ['delivered']);
    assert.equal(await sys.stores.suppressions.get(to), null);
    await waitForStatus(sys, await sendEmail(sys, to), ['delivered']);
    assert.equal((await sandboxSends(to)).length, 2);
  });
});
