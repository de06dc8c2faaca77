/**
 * /healthz says the process is up; /readyz says whether Temporal and MongoDB are reachable, and
 * which one is not: checked on a healthy system, and on an API started against a closed Temporal port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadApiConfig } from '../api/config';
import { startApi } from '../api/server';
import { freePort } from '../dev/ports';
import { type TestSystem, startTestSystem } from './support/stack';

let sys: TestSystem;

before(async () => {
  sys = await startTestSystem('health');
});
after(async () => {
  await sys?.close();
});

async function get(base: string, path: string) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('health', () => {
  it('a healthy system: /healthz 200 and /readyz 200, without an API key', async () => {
    const health = await get(sys.api.url, '/healthz');
    assert.equal(health.status, 200);
    const ready = await get(sys.api.url, '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(ready.body.checks, { mongodb: 'ok', temporal: 'ok' });
  });

  it('Temporal unreachable: /healthz 200, /readyz 503 naming temporal', async () => {
    const api = await startApi(
      loadApiConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        API_KEYS: 'health-key',
        DEFAULT_FROM: 'Mailroom <no-reply@mailroom.test>',
        SENDGRID_WEBHOOK_VERIFY: 'false',
        MONGODB_URI: sys.env.api.MONGODB_URI,
        MONGODB_DB: `test_health_down_${randomUUID().slice(0, 8)}`,
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      }),
      () => undefined,
    );
    try {
      assert.equal((await get(api.url, '/healthz')).status, 200);
      const ready = await get(api.url, '/readyz');
      assert.equal(ready.status, 503, JSON.stringify(ready.body));
      assert.deepEqual(ready.body.checks, { mongodb: 'ok', temporal: 'unreachable' });
    } finally {
      await api.close();
    }
  });
});
