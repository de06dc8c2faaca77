/**
 * The suppression policy end to end, and the suppression list's API: signed webhook batches posted as
 * SendGrid would, emails sent through the API to the real worker and the SendGrid sandbox, the list read
 * and changed through /v1/suppressions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type ApiResponse, type TestSystem, startTestSystem } from './support/stack';
import { address, sendEmail, waitForStatus } from './support/emails';
import { waitFor } from './support/wait';
import { nowSeconds, sgEvent } from './support/events';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('suppressions-api');
});
after(async () => {
  await sys?.close();
});

const DAY_SECONDS = 86_400;

/** Posts a batch signed with the sandbox's key (signed now: only the events' own timestamps may be old). */
async function postEvents(...events: unknown[]): Promise<void> {
  const res = await sys.postWebhook(events);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.stored, events.length, 'every event is new');
}

const blocked = (email: string, timestamp = nowSeconds()) =>
  sgEvent(email, 'bounce', { type: 'blocked', status: '4.7.1', reason: '421 Try again later', timestamp });

const entryPath = (email: string, groupId?: number) =>
  `/v1/suppressions/${encodeURIComponent(email)}${groupId === undefined ? '' : `?groupId=${groupId}`}`;

const getEntry = (email: string, groupId?: number) => sys.call('GET', entryPath(email, groupId));

/** The mail/send requests the sandbox received for one email. */
async function sandboxSends(to: string, emailId: string): Promise<unknown[]> {
  const res = await fetch(`${sys.sandbox.url}/sandbox/messages?to=${encodeURIComponent(to)}`);
  assert.equal(res.status, 200);
  const requests = (await res.json()) as { body: { custom_args?: Record<string, string> } }[];
  return requests.filter((request) => request.body.custom_args?.mailroom_email_id === emailId);
}

function assertError(res: ApiResponse, status: number, code: string, fields: string[] = []): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body?.error?.code, code, JSON.stringify(res.body));
  assert.equal(typeof res.body.error.message, 'string');
  const named = (res.body.error.details ?? []).map((d: { field: string }) => d.field);
  for (const field of fields) assert.ok(named.includes(field), `${field} named in ${JSON.stringify(named)}`);
}

const ENTRY_FIELDS = ['createdAt', 'email', 'emailId', 'event', 'expiresAt', 'groupId', 'reason'];

/** An email to `to` ends suppressed with `reason`, and SendGrid never saw it. */
async function assertSuppressedSend(to: string, reason: RegExp, extra: Record<string, unknown> = {}) {
  const id = await sendEmail(sys, to, extra);
  const email = await waitForStatus(sys, id, ['suppressed', 'delivered', 'bounced', 'dropped']);
  assert.equal(email.status, 'suppressed', JSON.stringify(email.outcome));
  assert.match(email.outcome.reason, reason);
  assert.deepEqual(await sandboxSends(to, id), []);
}

async function assertDelivered(to: string, extra: Record<string, unknown> = {}) {
  const id = await sendEmail(sys, to, extra);
  const email = await waitForStatus(sys, id, ['suppressed', 'delivered']);
  assert.equal(email.status, 'delivered', JSON.stringify(email.outcome));
  assert.equal((await sandboxSends(to, id)).length, 1);
}

const today = () => new Date().toISOString().slice(0, 10);

describe('suppression policy, through signed webhook batches', () => {
  it('a hard bounce suppresses until removed, and the next email ends suppressed before SendGrid', async () => {
    const to = address('someone');
    const bounce = sgEvent(to, 'bounce', {
      type: 'bounce',
      status: '5.1.1',
      reason: '550 5.1.1 no such user',
    });
    await postEvents(bounce);
    const res = await getEntry(to);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), ENTRY_FIELDS);
    assert.equal(res.body.email, to);
    assert.equal(res.body.reason, 'hard bounce');
    assert.equal(res.body.groupId, null);
    assert.equal(res.body.expiresAt, null);
    assert.equal(res.body.createdAt, new Date(bounce.timestamp * 1000).toISOString());
    assert.equal(typeof res.body.event, 'string');
    const date = res.body.createdAt.slice(0, 10);
    await assertSuppressedSend(to, new RegExp(`^On the suppression list since ${date}: hard bounce$`));
  });

  for (const reason of ['Invalid', 'Bounced Address', 'Spam Reporting Address', 'Unsubscribed Address']) {
    it(`a drop for "${reason}" suppresses`, async () => {
      const to = address('someone');
      await postEvents(sgEvent(to, 'dropped', { reason, status: '5.0.0' }));
      const res = await getEntry(to);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.reason, `dropped by SendGrid: ${reason}`);
      assert.equal(res.body.expiresAt, null);
    });
  }

  it('a drop for "Spam Content" does not: it is about the message', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'dropped', { reason: 'Spam Content', status: '5.0.0' }));
    assertError(await getEntry(to), 404, 'not_found');
    await assertDelivered(to);
  });

  it('a spam report and an unsubscribe suppress', async () => {
    const spam = address('someone');
    const unsubscribed = address('someone');
    await postEvents(sgEvent(spam, 'spamreport'), sgEvent(unsubscribed, 'unsubscribe'));
    assert.equal((await getEntry(spam)).body.reason, 'spam report');
    assert.equal((await getEntry(unsubscribed)).body.reason, 'unsubscribed');
    await assertSuppressedSend(unsubscribed, /: unsubscribed$/);
  });

  it('two blocked bounces do not suppress; the third within the window does, for 30 days', async () => {
    const to = address('someone');
    await postEvents(blocked(to, nowSeconds() - 3 * DAY_SECONDS));
    await postEvents(blocked(to, nowSeconds() - DAY_SECONDS));
    assertError(await getEntry(to), 404, 'not_found');
    await assertDelivered(to);

    const before = Date.now();
    await postEvents(blocked(to));
    const res = await getEntry(to);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.reason, '3 blocked bounces within 7 days');
    const expires = Date.parse(res.body.expiresAt);
    const in30Days = before + 30 * DAY_SECONDS * 1000;
    assert.ok(Math.abs(expires - in30Days) < 60_000, `expires ${res.body.expiresAt}, about 30 days on`);
    await assertSuppressedSend(to, /: 3 blocked bounces within 7 days$/);
  });

  it('blocked bounces older than the window do not count', async () => {
    const to = address('someone');
    const old = nowSeconds() - 8 * DAY_SECONDS;
    await postEvents(blocked(to, old), blocked(to, old + 60));
    await postEvents(blocked(to));
    assertError(await getEntry(to), 404, 'not_found');
    // The third recent one makes three within the window.
    const now = nowSeconds();
    await postEvents(blocked(to, now - 10), blocked(to, now - 5));
    assert.equal((await getEntry(to)).status, 200);
  });

  it('blocked bounces count whatever the case and spacing of the address', async () => {
    const to = address('someone');
    // Distinct seconds taken once: events of one address, kind and second are one event (deduplicated).
    const now = nowSeconds();
    await postEvents(blocked(to.toUpperCase(), now), blocked(` ${to} `, now - 1));
    await postEvents(blocked(to.replace(/^s/, 'S'), now - 2));
    assert.equal((await getEntry(to)).status, 200);
  });

  it('a hard bounce makes a soft-bounce suppression permanent', async () => {
    const to = address('someone');
    await postEvents(
      blocked(to, nowSeconds() - 3),
      blocked(to, nowSeconds() - 2),
      blocked(to, nowSeconds() - 1),
    );
    assert.ok((await getEntry(to)).body.expiresAt);
    await postEvents(sgEvent(to, 'bounce', { type: 'bounce', status: '5.1.1' }));
    const res = await getEntry(to);
    assert.equal(res.body.reason, 'hard bounce');
    assert.equal(res.body.expiresAt, null);
  });

  it('a second cause does not replace the first', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'spamreport', { timestamp: nowSeconds() - 5 }));
    await postEvents(sgEvent(to, 'bounce', { type: 'bounce', status: '5.1.1' }));
    assert.equal((await getEntry(to)).body.reason, 'spam report');
  });

  it('addresses match trimmed and case-insensitively, in events, sends and the API', async () => {
    const to = address('someone');
    await postEvents(sgEvent(`  ${to.toUpperCase()} `, 'bounce', { type: 'bounce', status: '5.1.1' }));
    const res = await getEntry(` ${to.toUpperCase()}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.email, to);
    await assertSuppressedSend(to.replace('someone', 'SomeOne'), /: hard bounce$/);
  });
});

describe('ASM groups', () => {
  it('a group unsubscribe suppresses mail of that group only', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'group_unsubscribe', { asm_group_id: 42 }));
    assertError(await getEntry(to), 404, 'not_found');
    const group = await getEntry(to, 42);
    assert.equal(group.status, 200, JSON.stringify(group.body));
    assert.equal(group.body.groupId, 42);
    assert.equal(group.body.reason, 'unsubscribed from group 42');

    await assertSuppressedSend(to, new RegExp(`since ${today()}: unsubscribed from group 42$`), {
      asmGroupId: 42,
    });
    await assertDelivered(to);
    await assertDelivered(to, { asmGroupId: 7 });
  });

  it('a group resubscribe lifts it', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'group_unsubscribe', { asm_group_id: 5, timestamp: nowSeconds() - 60 }));
    assert.equal((await getEntry(to, 5)).status, 200);
    await postEvents(sgEvent(to, 'group_resubscribe', { asm_group_id: 5 }));
    assertError(await getEntry(to, 5), 404, 'not_found');
    await assertDelivered(to, { asmGroupId: 5 });
  });

  it('a resubscribe that arrives before an earlier unsubscribe still wins', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'group_resubscribe', { asm_group_id: 6 }));
    await postEvents(sgEvent(to, 'group_unsubscribe', { asm_group_id: 6, timestamp: nowSeconds() - 60 }));
    assertError(await getEntry(to, 6), 404, 'not_found');
  });

  it('a global entry suppresses mail of every group', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'unsubscribe'));
    await assertSuppressedSend(to, /: unsubscribed$/, { asmGroupId: 42 });
  });
});

describe('GET /v1/suppressions', () => {
  it('pages by cursor, filtered by reason', async () => {
    const reason = `paging ${randomUUID()}`;
    const emails = Array.from({ length: 5 }, () => address('someone')).sort();
    for (const email of emails)
      assert.equal((await sys.call('PUT', entryPath(email), { reason })).status, 201);
    await sys.call('PUT', entryPath(address('someone')), { reason: `${reason} other` });

    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?reason=${encodeURIComponent(reason)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await sys.call('GET', `/v1/suppressions${query}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      pages.push(res.body.items.length);
      for (const item of res.body.items) {
        assert.equal(item.reason, reason);
        seen.push(item.email);
      }
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 10);
    assert.deepEqual(pages, [2, 2, 1]);
    assert.deepEqual(seen, emails);
  });

  it('defaults to 50 a page and lists group entries apart', async () => {
    const reason = `default ${randomUUID()}`;
    const email = address('someone');
    await sys.call('PUT', entryPath(email), { reason });
    await sys.call('PUT', entryPath(email), { reason, groupId: 3 });
    const res = await sys.call('GET', `/v1/suppressions?reason=${encodeURIComponent(reason)}`);
    assert.deepEqual(
      res.body.items.map((i: { groupId: number | null }) => i.groupId),
      [null, 3],
    );
    assert.equal(res.body.nextCursor, null);
    const all = await sys.call('GET', '/v1/suppressions');
    assert.ok(all.body.items.length <= 50 && all.body.items.length > 0);
  });

  it('400 for a bad limit or cursor, naming the field', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'limit=1&limit=2']) {
      assertError(await sys.call('GET', `/v1/suppressions?${query}`), 400, 'invalid_request', ['limit']);
    }
    assertError(await sys.call('GET', '/v1/suppressions?cursor=!!'), 400, 'invalid_request', ['cursor']);
    assertError(await sys.call('GET', '/v1/suppressions?reason='), 400, 'invalid_request', ['reason']);
  });

  it('401 without a valid API key, on every route', async () => {
    const email = encodeURIComponent(address('someone'));
    for (const [method, path] of [
      ['GET', '/v1/suppressions'],
      ['GET', `/v1/suppressions/${email}`],
      ['PUT', `/v1/suppressions/${email}`],
      ['DELETE', `/v1/suppressions/${email}`],
    ]) {
      const body = method === 'PUT' ? { reason: 'x' } : undefined;
      assertError(await sys.call(method, path, body, {}), 401, 'unauthorized');
      assertError(await sys.call(method, path, body, { authorization: 'Bearer nope' }), 401, 'unauthorized');
    }
  });
});

describe('GET, PUT and DELETE /v1/suppressions/:email', () => {
  it('GET: 404 for an address not on the list, 400 for something not an address', async () => {
    assertError(await getEntry(address('someone')), 404, 'not_found');
    assertError(await getEntry('not-an-address'), 400, 'invalid_request', ['email']);
    assertError(await getEntry(address('someone'), 0), 400, 'invalid_request', ['groupId']);
  });

  it('PUT adds an entry by hand (201, then 200 when replaced) and it suppresses', async () => {
    const to = address('someone');
    const created = await sys.call('PUT', entryPath(to.toUpperCase()), { reason: 'asked by phone' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ENTRY_FIELDS);
    assert.deepEqual(
      { ...created.body, createdAt: undefined },
      {
        email: to,
        reason: 'asked by phone',
        groupId: null,
        emailId: null,
        event: null,
        createdAt: undefined,
        expiresAt: null,
      },
    );
    assert.deepEqual((await getEntry(to)).body, created.body);
    await assertSuppressedSend(to, new RegExp(`^On the suppression list since ${today()}: asked by phone$`));

    const replaced = await sys.call('PUT', entryPath(to), { reason: 'legal hold' });
    assert.equal(replaced.status, 200);
    assert.equal((await getEntry(to)).body.reason, 'legal hold');
  });

  it('PUT with groupId adds a group entry beside the global one', async () => {
    const to = address('someone');
    const res = await sys.call('PUT', entryPath(to), { reason: 'no newsletters', groupId: 9 });
    assert.equal(res.status, 201);
    assert.equal(res.body.groupId, 9);
    assertError(await getEntry(to), 404, 'not_found');
    assert.equal((await getEntry(to, 9)).body.reason, 'no newsletters');
    await assertSuppressedSend(to, /: no newsletters$/, { asmGroupId: 9 });
  });

  it('PUT: 400 naming every bad field', async () => {
    const to = address('someone');
    assertError(await sys.call('PUT', entryPath(to), {}), 400, 'invalid_request', ['reason']);
    const res = await sys.call('PUT', entryPath(to), {
      reason: '  ',
      expiresAt: 'next week',
      groupId: -1,
      note: 'x',
    });
    assertError(res, 400, 'invalid_request', ['reason', 'expiresAt', 'groupId', 'note']);
    const past = new Date(Date.now() - 60_000).toISOString();
    assertError(
      await sys.call('PUT', entryPath(to), { reason: 'x', expiresAt: past }),
      400,
      'invalid_request',
      ['expiresAt'],
    );
    assertError(await sys.call('PUT', entryPath(to), '[1]'), 400, 'invalid_request');
    assertError(await sys.call('PUT', entryPath('nobody'), { reason: 'x' }), 400, 'invalid_request', [
      'email',
    ]);
    assertError(await getEntry(to), 404, 'not_found');
  });

  it('DELETE: 204, then GET 404, and the next email is sent', async () => {
    const to = address('someone');
    await postEvents(sgEvent(to, 'bounce', { type: 'bounce', status: '5.1.1' }));
    const res = await sys.call('DELETE', entryPath(to.toUpperCase()));
    assert.equal(res.status, 204);
    assert.equal(res.body, null);
    assertError(await getEntry(to), 404, 'not_found');
    assertError(await sys.call('DELETE', entryPath(to)), 404, 'not_found');
    await assertDelivered(to);
  });

  it('DELETE ?groupId= removes only that group entry', async () => {
    const to = address('someone');
    await sys.call('PUT', entryPath(to), { reason: 'global' });
    await sys.call('PUT', entryPath(to), { reason: 'group', groupId: 4 });
    assertError(await sys.call('DELETE', entryPath(to, 5)), 404, 'not_found');
    assert.equal((await sys.call('DELETE', entryPath(to, 4))).status, 204);
    assertError(await getEntry(to, 4), 404, 'not_found');
    assert.equal((await getEntry(to)).body.reason, 'global');
  });

  it('DELETE: 400 for something not an address or a bad groupId', async () => {
    assertError(await sys.call('DELETE', entryPath('x@')), 400, 'invalid_request', ['email']);
    const res = await sys.call('DELETE', `${entryPath(address('someone'))}?groupId=abc`);
    assertError(res, 400, 'invalid_request', ['groupId']);
  });
});

describe('expiry', () => {
  it('an expired entry no longer suppresses, is not listed, and a new cause replaces it', async () => {
    const to = address('someone');
    const reason = `short ${randomUUID()}`;
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const res = await sys.call('PUT', entryPath(to), { reason, expiresAt });
    assert.equal(res.status, 201);
    assert.equal(res.body.expiresAt, expiresAt);
    await waitFor(async () => (await getEntry(to)).status === 404, { message: `${to}'s entry to expire` });
    const listed = await sys.call('GET', `/v1/suppressions?reason=${encodeURIComponent(reason)}`);
    assert.deepEqual(listed.body.items, []);
    await assertDelivered(to);

    await postEvents(sgEvent(to, 'unsubscribe'));
    const replaced = await getEntry(to);
    assert.equal(replaced.body.reason, 'unsubscribed');
    assert.equal(replaced.body.expiresAt, null);
  });

  it('PUT onto an expired entry answers 201, and DELETE of one answers 404', async () => {
    const to = address('someone');
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    await sys.call('PUT', entryPath(to), { reason: 'brief', expiresAt });
    await waitFor(async () => (await getEntry(to)).status === 404, { message: `${to}'s entry to expire` });
    assertError(await sys.call('DELETE', entryPath(to)), 404, 'not_found');
    await sys.call('PUT', entryPath(to), {
      reason: 'brief',
      expiresAt: new Date(Date.now() + 1000).toISOString(),
    });
    await waitFor(async () => (await getEntry(to)).status === 404, { message: `${to}'s entry to expire` });
    assert.equal((await sys.call('PUT', entryPath(to), { reason: 'again' })).status, 201);
  });
});
