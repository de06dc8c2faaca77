/**
 * A campaign's recipients are stored in runs at accept and read back by position when the campaign
 * reaches them; each email's id follows from its campaign and position, so a retry rewrites nothing.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { campaignEmailDoc, campaignEmailId } from '../lib/campaign-emails';
import { newId } from '../lib/ids';
import { type TestSystem, startTestSystem } from './support/stack';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('campaign-recipients');
});
after(async () => {
  await sys?.close();
});

it('reads back any range of positions, across the runs it was stored in, in order', async () => {
  const campaignId = newId('cmp');
  const recipients = Array.from({ length: 2_500 }, (_, i) => ({
    to: { email: `person${i}@example.com` },
    ...(i % 2 === 0 && { metadata: { row: String(i) } }),
  }));
  await sys.stores.recipients.insert(campaignId, recipients, 1000);

  const slice = await sys.stores.recipients.slice(campaignId, 900, 300, 1000);
  assert.deepEqual(
    slice.map((r) => r.seq),
    Array.from({ length: 300 }, (_, i) => 900 + i),
  );
  assert.deepEqual(slice[100], { seq: 1000, recipient: recipients[1000] });
  const tail = await sys.stores.recipients.slice(campaignId, 2_400, 500, 1000);
  assert.equal(tail.length, 100, 'a range past the end gives what there is');
  await assert.rejects(sys.stores.recipients.slice(newId('cmp'), 0, 10, 1000), /recipient runs are missing/);
});

it('gives each position of a campaign its own email id, the same every time, sorting by position', () => {
  const campaignId = newId('cmp');
  const ids = [0, 1, 31, 32, 99_999].map((seq) => campaignEmailId(campaignId, seq));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(campaignEmailId(campaignId, 31), ids[2]);
  assert.ok(ids.every((id) => id.startsWith('em_')));
  assert.notEqual(campaignEmailId(newId('cmp'), 0), ids[0]);
});

it('writing a campaign slice again (a retried activity) keeps the emails written the first time', async () => {
  const now = new Date();
  const campaign = {
    _id: newId('cmp'),
    name: 'retry',
    from: { email: 'no-reply@mailroom.test' },
    subject: 'Hi',
    content: { text: 'Hi' },
    categories: [],
    asmGroupId: null,
    sendAt: null,
    ratePerSecond: null,
    deliveryTimeoutMs: 60_000,
    total: 3,
    started: 0,
    state: 'running' as const,
    pauseReason: null,
    recipientChunk: 1000,
    createdAt: now,
    updatedAt: now,
  };
  const docs = [0, 1, 2].map((seq) =>
    campaignEmailDoc(campaign, { to: { email: `retry${seq}@example.com` } }, seq, now),
  );
  await sys.stores.emails.insertMissing(docs.slice(0, 2));
  await sys.stores.emails.setStatus(docs[0]._id, 'sending');
  await sys.stores.emails.insertMissing(docs);
  assert.equal((await sys.stores.emails.get(docs[0]._id))?.status, 'sending', 'not overwritten');
  assert.equal((await sys.stores.emails.get(docs[2]._id))?.status, 'queued', 'the missing one written');
});
