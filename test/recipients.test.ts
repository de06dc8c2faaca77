/**
 * GET /v1/recipients/:email — what happened to mail for one person: their latest emails, newest first,
 * and their suppression entries, global and per ASM group. Real API, worker, sandbox, Temporal, FerretDB.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ApiResponse, type TestSystem, startTestSystem } from './support/stack';
import { address, sendEmail, waitForStatus } from './support/emails';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('recipients');
});
after(async () => {
  await sys?.close();
});

const recipient = (email: string, query = '') =>
  sys.call('GET', `/v1/recipients/${encodeURIComponent(email)}${query}`);

function assertError(res: ApiResponse, status: number, code: string, fields: string[] = []): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body?.error?.code, code, JSON.stringify(res.body));
  const named = (res.body.error.details ?? []).map((d: { field: string }) => d.field);
  for (const field of fields) assert.ok(named.includes(field), `${field} named in ${JSON.stringify(named)}`);
}

describe('GET /v1/recipients/:email', () => {
  it('lists the emails to the address, newest first, whatever the case it was given in', async () => {
    const to = address('someone');
    const ids: string[] = [];
    for (const [i, given] of [to, to.toUpperCase(), to.replace('someone', 'SomeOne')].entries()) {
      ids.push(await sendEmail(sys, given, { subject: `Letter ${i}` }));
    }
    await sendEmail(sys, address('someone'), { subject: 'Someone else' });
    for (const id of ids) await waitForStatus(sys, id, ['delivered']);

    const res = await recipient(` ${to.toUpperCase()} `);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.email, to);
    assert.deepEqual(res.body.suppression, { global: null, groups: [] });
    assert.deepEqual(
      res.body.emails.map((e: { id: string }) => e.id),
      [...ids].reverse(),
    );
    const [newest] = res.body.emails;
    assert.deepEqual(Object.keys(newest).sort(), ['createdAt', 'id', 'outcome', 'status', 'subject']);
    assert.equal(newest.subject, 'Letter 2');
    assert.equal(newest.status, 'delivered');
    assert.equal(newest.outcome.reason, "Delivered to the recipient's mail server");
    assert.ok(!Number.isNaN(Date.parse(newest.createdAt)));

    const limited = await recipient(to, '?limit=2');
    assert.deepEqual(
      limited.body.emails.map((e: { id: string }) => e.id),
      [ids[2], ids[1]],
    );
  });

  it('shows the suppression that stopped the latest email, and the group entries', async () => {
    const to = address('bounce');
    const bounced = await sendEmail(sys, to);
    await waitForStatus(sys, bounced, ['bounced']);
    const suppressed = await sendEmail(sys, to);
    await waitForStatus(sys, suppressed, ['suppressed']);
    const put = await sys.call('PUT', `/v1/suppressions/${encodeURIComponent(to)}`, {
      reason: 'no newsletters',
      groupId: 12,
    });
    assert.equal(put.status, 201);

    const res = await recipient(to);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.emails.map((e: { id: string; status: string }) => [e.id, e.status]),
      [
        [suppressed, 'suppressed'],
        [bounced, 'bounced'],
      ],
    );
    assert.match(
      res.body.emails[0].outcome.reason,
      /^On the suppression list since \d{4}-\d\d-\d\d: hard bounce$/,
    );
    const { global, groups } = res.body.suppression;
    assert.equal(global.reason, 'hard bounce');
    assert.equal(global.emailId, bounced);
    assert.equal(global.groupId, null);
    assert.equal(global.expiresAt, null);
    assert.equal(typeof global.event, 'string');
    assert.deepEqual(groups, [put.body]);
  });

  it('an address with no mail: 200 with nothing to show', async () => {
    const res = await recipient(address('nobody'));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.emails, []);
    assert.deepEqual(res.body.suppression, { global: null, groups: [] });
  });

  it('400 for something not an address, or a bad limit, naming the field', async () => {
    assertError(await recipient('not-an-address'), 400, 'invalid_request', ['email']);
    for (const limit of ['0', '101', 'many']) {
      assertError(await recipient(address('someone'), `?limit=${limit}`), 400, 'invalid_request', ['limit']);
    }
    assertError(await recipient('nope', '?limit=0'), 400, 'invalid_request', ['email', 'limit']);
  });

  it('401 without a valid API key', async () => {
    const path = `/v1/recipients/${encodeURIComponent(address('someone'))}`;
    assertError(await sys.call('GET', path, undefined, {}), 401, 'unauthorized');
    assertError(
      await sys.call('GET', path, undefined, { authorization: 'Bearer wrong' }),
      401,
      'unauthorized',
    );
  });
});
