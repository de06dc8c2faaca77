/**
 * The webhook's limits: how old a signature may be (SendGrid retries for 24 hours, so those retries
 * must pass), and how large a body may be (SendGrid's batches reach 768 KB).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TestSystem, startTestSystem } from './support/stack';

const HOUR = 3_600_000;
let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('hardening');
});
after(async () => {
  await sys?.close();
});

const post = (body: Buffer, signedAt?: number) => sys.postWebhook(body, { signedAt });

const batch = (email: string) =>
  Buffer.from(JSON.stringify([{ email, event: 'processed', timestamp: 1_790_000_000, sg_event_id: email }]));

describe('signature age', () => {
  it('accepts a batch signed 24 hours ago, as SendGrid’s last retries are', async () => {
    const res = await post(batch('old-retry@example.com'), Date.now() - 24 * HOUR);
    assert.equal(res.status, 200);
  });

  it('refuses a batch signed longer ago than WEBHOOK_MAX_AGE (25 h), and stores nothing', async () => {
    const res = await post(batch('too-old@example.com'), Date.now() - 26 * HOUR);
    assert.equal(res.status, 401);
    assert.equal(res.body.error.code, 'unauthorized');
    assert.match(res.body.error.message, /timestamp/);
    assert.equal(
      await sys.stores.db.collection('events').countDocuments({ sgEventId: 'too-old@example.com' }),
      0,
    );
  });

  it('refuses a timestamp far in the future, allows a few minutes of clock skew', async () => {
    assert.equal((await post(batch('future@example.com'), Date.now() + 2 * HOUR)).status, 401);
    assert.equal((await post(batch('skewed@example.com'), Date.now() + 60_000)).status, 200);
  });
});

describe('body size', () => {
  it('accepts a batch of 1 MiB and answers 413 over the 4 MiB limit', async () => {
    const event = (i: number) => ({
      email: `big${i}@example.com`,
      event: 'processed',
      timestamp: 1_790_000_000 + i,
      sg_event_id: `big-${i}`,
      pad: 'x'.repeat(900),
    });
    const oneMiB = Buffer.from(JSON.stringify(Array.from({ length: 1100 }, (_, i) => event(i))));
    assert.ok(oneMiB.length > 1024 * 1024);
    assert.equal((await post(oneMiB)).status, 200);

    const tooBig = Buffer.alloc(4 * 1024 * 1024 + 1, ' ');
    const res = await post(tooBig);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'payload_too_large');
  });
});
