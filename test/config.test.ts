/**
 * Configuration fails fast: each entry point's loader throws ConfigError with one line naming the
 * variable that is missing or bad, and fills in the documented defaults. Pure: no servers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { loadApiConfig } from '../api/config';
import { ConfigError, type Env } from '../lib/env';
import { loadSandboxConfig } from '../sandbox/config';
import { generateSigningKeyPair } from '../sandbox/signing';
import { loadWorkerConfig } from '../worker/config';

const keys = generateSigningKeyPair();

const API_ENV: Env = {
  MONGODB_URI: 'mongodb://127.0.0.1:27017',
  API_KEYS: 'key-one, key-two',
  DEFAULT_FROM: 'Mailroom <no-reply@example.com>',
  SENDGRID_WEBHOOK_PUBLIC_KEY: keys.publicKey,
};
const WORKER_ENV: Env = { MONGODB_URI: 'mongodb://127.0.0.1:27017', SENDGRID_API_KEY: 'SG.key' };
const SANDBOX_ENV: Env = { SANDBOX_API_KEY: 'SG.key', SANDBOX_SIGNING_KEY: keys.privateKey };

/** Throws ConfigError whose single-line message names `variable`. */
function assertConfigError(load: () => unknown, variable: string): void {
  assert.throws(load, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    assert.ok(err.message.includes(variable), `"${err.message}" names ${variable}`);
    assert.ok(!err.message.includes('\n'), `one line: ${JSON.stringify(err.message)}`);
    return true;
  });
}

const without = (env: Env, name: string): Env => {
  const copy = { ...env };
  delete copy[name];
  return copy;
};

const ecPublicKey = (namedCurve: string) =>
  generateKeyPairSync('ec', { namedCurve })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');

describe('loadApiConfig', () => {
  it('a complete environment loads, with the defaults filled in', () => {
    const config = loadApiConfig(API_ENV);
    assert.deepEqual(config.apiKeys, ['key-one', 'key-two']);
    assert.deepEqual(config.defaultFrom, { email: 'no-reply@example.com', name: 'Mailroom' });
    assert.equal(config.port, 3000);
    assert.deepEqual(config.temporal, {
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'mailroom',
      recipientInTemporal: false,
    });
    assert.equal(config.mongo.uri, 'mongodb://127.0.0.1:27017');
    assert.equal(config.webhookPublicKey?.asymmetricKeyType, 'ec');
    assert.ok(config.webhookBodyLimitBytes >= 1024 * 1024, 'bodies of 1 MiB accepted');
  });

  it('given values override the defaults', () => {
    const config = loadApiConfig({
      ...API_ENV,
      PORT: '8080',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'mail',
      TEMPORAL_TASK_QUEUE: 'mail-q',
      RECIPIENT_IN_TEMPORAL: 'true',
    });
    assert.equal(config.port, 8080);
    assert.deepEqual(config.temporal, {
      address: 'temporal.internal:7233',
      namespace: 'mail',
      taskQueue: 'mail-q',
      recipientInTemporal: true,
    });
  });

  it('MONGODB_URI missing, or not a mongodb:// URL', () => {
    assertConfigError(() => loadApiConfig(without(API_ENV, 'MONGODB_URI')), 'MONGODB_URI');
    assertConfigError(() => loadApiConfig({ ...API_ENV, MONGODB_URI: '  ' }), 'MONGODB_URI');
    assertConfigError(
      () => loadApiConfig({ ...API_ENV, MONGODB_URI: 'postgres://db:5432/x' }),
      'MONGODB_URI',
    );
    assertConfigError(() => loadApiConfig({ ...API_ENV, MONGODB_URI: '127.0.0.1:27017' }), 'MONGODB_URI');
  });

  it('API_KEYS missing or empty', () => {
    assertConfigError(() => loadApiConfig(without(API_ENV, 'API_KEYS')), 'API_KEYS');
    assertConfigError(() => loadApiConfig({ ...API_ENV, API_KEYS: '' }), 'API_KEYS');
    assertConfigError(() => loadApiConfig({ ...API_ENV, API_KEYS: ' , ,' }), 'API_KEYS');
  });

  it('DEFAULT_FROM missing or not an address', () => {
    assertConfigError(() => loadApiConfig(without(API_ENV, 'DEFAULT_FROM')), 'DEFAULT_FROM');
    assertConfigError(() => loadApiConfig({ ...API_ENV, DEFAULT_FROM: 'Mailroom' }), 'DEFAULT_FROM');
    assertConfigError(
      () => loadApiConfig({ ...API_ENV, DEFAULT_FROM: 'Mailroom <no-reply>' }),
      'DEFAULT_FROM',
    );
  });

  it('SENDGRID_WEBHOOK_PUBLIC_KEY missing, garbage, or not a P-256 public key', () => {
    const key = 'SENDGRID_WEBHOOK_PUBLIC_KEY';
    assertConfigError(() => loadApiConfig(without(API_ENV, key)), key);
    assertConfigError(() => loadApiConfig({ ...API_ENV, [key]: 'not-a-key' }), key);
    assertConfigError(() => loadApiConfig({ ...API_ENV, [key]: ecPublicKey('secp384r1') }), key);
    // The private half pasted by mistake.
    assertConfigError(() => loadApiConfig({ ...API_ENV, [key]: keys.privateKey }), key);
  });

  it('verification is off only with SENDGRID_WEBHOOK_VERIFY=false; then no key is needed', () => {
    const noKey = without(API_ENV, 'SENDGRID_WEBHOOK_PUBLIC_KEY');
    assert.equal(loadApiConfig({ ...noKey, SENDGRID_WEBHOOK_VERIFY: 'false' }).webhookPublicKey, null);
    assertConfigError(
      () => loadApiConfig({ ...noKey, SENDGRID_WEBHOOK_VERIFY: 'true' }),
      'SENDGRID_WEBHOOK_PUBLIC_KEY',
    );
    assertConfigError(
      () => loadApiConfig({ ...noKey, SENDGRID_WEBHOOK_VERIFY: '' }),
      'SENDGRID_WEBHOOK_PUBLIC_KEY',
    );
    assertConfigError(
      () => loadApiConfig({ ...noKey, SENDGRID_WEBHOOK_VERIFY: 'flase' }),
      'SENDGRID_WEBHOOK_VERIFY',
    );
    // A key given with verification on is used.
    assert.ok(loadApiConfig({ ...API_ENV, SENDGRID_WEBHOOK_VERIFY: 'true' }).webhookPublicKey);
  });

  it('PORT not a port number', () => {
    for (const bad of ['abc', '80.5', '70000', '-1'])
      assertConfigError(() => loadApiConfig({ ...API_ENV, PORT: bad }), 'PORT');
  });

  it('campaign pacing and breaker: defaults, given values, and bad ones named', () => {
    assert.deepEqual(loadApiConfig(API_ENV).campaigns.breaker, {
      minJudged: 200,
      maxHardBounceRate: 0.05,
      maxSpamReportRate: 0.001,
    });
    const config = loadApiConfig({
      ...API_ENV,
      CAMPAIGN_BATCH_SIZE: '50',
      BREAKER_MAX_HARD_BOUNCE_RATE: '2%',
      BREAKER_MAX_SPAM_REPORT_RATE: '0.002',
    });
    assert.equal(config.campaigns.batchSize, 50);
    assert.equal(config.campaigns.breaker.maxHardBounceRate, 0.02);
    assert.equal(config.campaigns.breaker.maxSpamReportRate, 0.002);
    for (const [name, bad] of [
      ['CAMPAIGN_BATCH_SIZE', '0'],
      ['CAMPAIGN_WINDOW', 'lots'],
      ['CAMPAIGN_TURNS_PER_RUN', '1.5'],
      ['BREAKER_MIN_JUDGED', '-3'],
      ['BREAKER_MAX_HARD_BOUNCE_RATE', '150%'],
      ['BREAKER_MAX_SPAM_REPORT_RATE', 'low'],
      ['RECIPIENT_IN_TEMPORAL', 'maybe'],
    ]) {
      assertConfigError(() => loadApiConfig({ ...API_ENV, [name]: bad }), name);
    }
  });
});

describe('loadWorkerConfig', () => {
  it('a complete environment loads, with the defaults filled in', () => {
    const config = loadWorkerConfig(WORKER_ENV);
    assert.deepEqual(config.sendgrid, { apiKey: 'SG.key', apiUrl: 'https://api.sendgrid.com' });
    assert.deepEqual(config.temporal, {
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'mailroom',
      recipientInTemporal: false,
    });
    assert.equal(config.mongo.uri, 'mongodb://127.0.0.1:27017');
  });

  it('SENDGRID_API_URL given is used, without a trailing slash', () => {
    const config = loadWorkerConfig({ ...WORKER_ENV, SENDGRID_API_URL: 'http://127.0.0.1:3025/' });
    assert.equal(config.sendgrid.apiUrl, 'http://127.0.0.1:3025');
  });

  it('SENDGRID_API_KEY missing', () => {
    assertConfigError(() => loadWorkerConfig(without(WORKER_ENV, 'SENDGRID_API_KEY')), 'SENDGRID_API_KEY');
    assertConfigError(() => loadWorkerConfig({ ...WORKER_ENV, SENDGRID_API_KEY: ' ' }), 'SENDGRID_API_KEY');
  });

  it('SENDGRID_API_URL not a URL', () => {
    assertConfigError(
      () => loadWorkerConfig({ ...WORKER_ENV, SENDGRID_API_URL: 'not a url' }),
      'SENDGRID_API_URL',
    );
    assertConfigError(
      () => loadWorkerConfig({ ...WORKER_ENV, SENDGRID_API_URL: 'api.sendgrid.com' }),
      'SENDGRID_API_URL',
    );
  });

  it('SENDGRID_API_URL without http(s):// (host:port parses as a URL of scheme "localhost:")', () => {
    assertConfigError(
      () => loadWorkerConfig({ ...WORKER_ENV, SENDGRID_API_URL: 'localhost:3025' }),
      'SENDGRID_API_URL',
    );
  });

  it('MONGODB_URI missing or not a mongodb:// URL', () => {
    assertConfigError(() => loadWorkerConfig(without(WORKER_ENV, 'MONGODB_URI')), 'MONGODB_URI');
    assertConfigError(() => loadWorkerConfig({ ...WORKER_ENV, MONGODB_URI: 'http://db' }), 'MONGODB_URI');
  });

  it('metrics on 0.0.0.0:9464 by default; WORKER_METRICS_PORT given, 0 for a free port', () => {
    assert.deepEqual(loadWorkerConfig(WORKER_ENV).metrics, { host: '0.0.0.0', port: 9464 });
    const config = loadWorkerConfig({
      ...WORKER_ENV,
      WORKER_METRICS_PORT: '0',
      WORKER_METRICS_HOST: '127.0.0.1',
    });
    assert.deepEqual(config.metrics, { host: '127.0.0.1', port: 0 });
  });

  it('SEND_RATE_LIMIT: none by default, a positive number of sends per second otherwise', () => {
    assert.equal(loadWorkerConfig(WORKER_ENV).sendRateLimit, null);
    assert.equal(loadWorkerConfig({ ...WORKER_ENV, SEND_RATE_LIMIT: '150' }).sendRateLimit, 150);
    assert.equal(loadWorkerConfig({ ...WORKER_ENV, SEND_RATE_LIMIT: '0.5' }).sendRateLimit, 0.5);
    for (const bad of ['0', '-5', 'fast', '10/s']) {
      assertConfigError(() => loadWorkerConfig({ ...WORKER_ENV, SEND_RATE_LIMIT: bad }), 'SEND_RATE_LIMIT');
    }
  });

  it('WORKER_METRICS_PORT not a port number', () => {
    for (const bad of ['metrics', '9464.5', '-1', '65536', 'off']) {
      assertConfigError(
        () => loadWorkerConfig({ ...WORKER_ENV, WORKER_METRICS_PORT: bad }),
        'WORKER_METRICS_PORT',
      );
    }
  });
});

describe('loadSandboxConfig', () => {
  it('a complete environment loads, with the defaults filled in', () => {
    const config = loadSandboxConfig(SANDBOX_ENV);
    assert.equal(config.port, 3025);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.signingKey, keys.privateKey);
    assert.equal(config.webhookUrl, undefined);
  });

  it('SANDBOX_SIGNING_KEY missing, garbage, or not P-256', () => {
    const key = 'SANDBOX_SIGNING_KEY';
    assertConfigError(() => loadSandboxConfig(without(SANDBOX_ENV, key)), key);
    assertConfigError(() => loadSandboxConfig({ ...SANDBOX_ENV, [key]: 'garbage' }), key);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
      .privateKey.export({ type: 'pkcs8', format: 'der' })
      .toString('base64');
    assertConfigError(() => loadSandboxConfig({ ...SANDBOX_ENV, [key]: p384 }), key);
  });

  it('SANDBOX_API_KEY missing; PORT or SANDBOX_WEBHOOK_URL bad', () => {
    assertConfigError(() => loadSandboxConfig(without(SANDBOX_ENV, 'SANDBOX_API_KEY')), 'SANDBOX_API_KEY');
    assertConfigError(() => loadSandboxConfig({ ...SANDBOX_ENV, PORT: 'x' }), 'PORT');
    assertConfigError(
      () => loadSandboxConfig({ ...SANDBOX_ENV, SANDBOX_WEBHOOK_URL: 'nope' }),
      'SANDBOX_WEBHOOK_URL',
    );
  });
});
