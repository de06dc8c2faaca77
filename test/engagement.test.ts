/** Engagement counted from an email's stored events: a pure unit. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { engagementOf } from '../api/engagement';
import type { EventDoc } from '../db/types';

let seq = 0;
function event(name: string, timestamp: number, raw: Record<string, unknown> = {}): EventDoc {
  return {
    _id: `k${seq}`,
    sgEventId: `sg${seq}`,
    emailId: 'em_1',
    event: name,
    timestamp,
    seq: seq++,
    raw: { event: name, timestamp, ...raw },
    receivedAt: new Date(),
    batchId: 'wb_1',
  };
}

describe('engagementOf', () => {
  it('counts people’s opens apart from machine opens, with first and last times', () => {
    const result = engagementOf([
      event('delivered', 100),
      event('open', 300),
      event('open', 200, { sg_machine_open: true }),
      event('open', 150),
    ]);
    assert.deepEqual(result.opens, {
      count: 2,
      first: new Date(150_000).toISOString(),
      last: new Date(300_000).toISOString(),
    });
    assert.equal(result.machineOpens.count, 1);
    assert.equal(result.clicks.count, 0);
  });

  it('counts clicks per URL, most clicked first', () => {
    const result = engagementOf([
      event('click', 10, { url: 'https://a.example/' }),
      event('click', 20, { url: 'https://b.example/' }),
      event('click', 30, { url: 'https://b.example/' }),
    ]);
    assert.equal(result.clicks.count, 3);
    assert.deepEqual(result.clicks.urls, [
      { url: 'https://b.example/', count: 2 },
      { url: 'https://a.example/', count: 1 },
    ]);
  });

  it('is all zeros and nulls for an email nobody opened', () => {
    const result = engagementOf([event('processed', 1), event('delivered', 2)]);
    assert.deepEqual(result.opens, { count: 0, first: null, last: null });
    assert.deepEqual(result.clicks, { count: 0, first: null, last: null, urls: [] });
  });
});
