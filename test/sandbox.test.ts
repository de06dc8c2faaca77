import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from '@sendgrid/client';
import { EventWebhook, EventWebhookHeader } from '@sendgrid/eventwebhook';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import type { WebhookEvent } from '../sandbox/events';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError } from '../lib/env';
import { loadSandboxConfig } from '../sandbox/config';
import { startSandbox, type RunningSandbox } from '../sandbox/server';
import { generateSigningKeyPair } from '../sandbox/signing';
import { waitFor } from './support/wait';

/**
 * The sandbox must be indistinguishable from SendGrid for Mailroom: sent to through @sendgrid/mail itself,
 * its webhook posts checked by SendGrid's own verifier. Each test writes to addresses unique to this run.
 */

const API_KEY = 'SG.sandbox-test-key';
const MAX_ATTEMPTS = 3;
const run = randomUUID().slice(0, 8);
let serial = 0;
const address = (local: string) => `${local}+${run}-${++serial}@example.com`;

interface Post {
  raw: Buffer;
  signature: string;
  timestamp: string;
  events: WebhookEvent[];
  status: number;
}

/** A stand-in for Mailroom's webhook endpoint: records each post's raw bytes and answers as told. */
async function startReceiver(statusFor: (events: WebhookEvent[]) => number) {
  const posts: Post[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const events = JSON.parse(raw.toString('utf8')) as WebhookEvent[];
      const status = statusFor(events);
      const header = (name: string) => String(req.headers[name.toLowerCase()] ?? '');
      posts.push({
        raw,
        events,
        status,
        signature: header(EventWebhookHeader.SIGNATURE()),
        timestamp: header(EventWebhookHeader.TIMESTAMP()),
      });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    posts,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function mailerFor(baseUrl: string, apiKey: string): MailService {
  const client = new Client();
  client.setApiKey(apiKey); // resets baseUrl to api.sendgrid.com, so it must come first
  client.setDefaultRequest('baseUrl', baseUrl);
  const mailer = new MailService();
  mailer.setClient(client);
  return mailer;
}

interface SendGridFailure {
  code: number;
  response: {
    headers: Record<string, string>;
    body: { errors: { message: string; field: string | null; help: null }[]; id: string };
  };
}

async function failureOf(sending: Promise<unknown>): Promise<SendGridFailure> {
  try {
    await sending;
  } catch (err) {
    return err as SendGridFailure;
  }
  assert.fail('expected SendGrid to refuse the request');
}

function assertErrorBody(body: SendGridFailure['response']['body']): void {
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, 'errors is a non-empty array');
  for (const error of body.errors) {
    assert.equal(typeof error.message, 'string');
    assert.ok(error.field === null || typeof error.field === 'string');
    assert.equal(error.help, null);
  }
  assert.match(body.id, /^\w+$/);
}

const signingKeys = generateSigningKeyPair();
/** The least a sandbox needs from its environment. */
const sandboxEnv = { SANDBOX_API_KEY: API_KEY, SANDBOX_SIGNING_KEY: signingKeys.privateKey };
let sandbox: RunningSandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let mailer: MailService;
const failOnce = new Set<string>();
const alwaysFail = new Set<string>();

before(async () => {
  receiver = await startReceiver((events) => {
    const emails = events.map((e) => e.email);
    if (emails.some((email) => alwaysFail.has(email))) return 500;
    const first = emails.find((email) => failOnce.has(email));
    if (first === undefined) return 200;
    failOnce.delete(first);
    return 500;
  });
  sandbox = await startSandbox(
    {
      host: '127.0.0.1',
      port: 0,
      apiKey: API_KEY,
      signingKey: signingKeys.privateKey,
      webhookUrl: receiver.url,
      eventDelayMs: 20,
      batchIntervalMs: 50,
      maxBatchSize: 100,
      webhookRetryMs: 20,
      webhookMaxAttempts: MAX_ATTEMPTS,
    },
    () => {},
  );
  mailer = mailerFor(sandbox.url, API_KEY);
});

after(async () => {
  await sandbox?.close();
  await receiver?.close();
});

/** Events the receiver accepted (2xx) for one address, in the order they arrived. */
const deliveredTo = (email: string) =>
  receiver.posts.filter((p) => p.status < 300).flatMap((p) => p.events.filter((e) => e.email === email));

const sandboxGet = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${sandbox.url}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
};

const message = (to: string, extra: Partial<MailData> = {}): MailDataRequired => ({
  to,
  from: 'Mailroom <noreply@mailroom.test>',
  subject: 'Welcome',
  text: 'Hello',
  html: '<p>Hello, <a href="https://mailroom.test/welcome">start here</a></p>',
  categories: ['welcome'],
  customArgs: { mailroom_email_id: `email-${to}` },
  ...extra,
});
type MailData = Omit<MailDataRequired, 'to'>;

/**
 * Proves a recipient's timeline is over: a later `defer` recipient's last event is scheduled after any
 * step of anything sent before, and posts go out in order, so once it arrives nothing earlier is pending.
 */
async function settle(): Promise<void> {
  const sentinel = address('defer');
  await mailer.send(message(sentinel));
  await waitFor(() => deliveredTo(sentinel).some((e) => e.event === 'delivered'), {
    message: `sentinel ${sentinel} delivered`,
  });
}

const BASE_KEYS = [
  'email',
  'timestamp',
  'smtp-id',
  'event',
  'sg_event_id',
  'sg_message_id',
  'category',
  'mailroom_email_id',
];
const EXTRA_KEYS: Record<string, string[]> = {
  processed: ['pool'],
  delivered: ['response', 'tls'],
  deferred: ['response', 'attempt'],
  bounce: ['type', 'status', 'reason', 'bounce_classification'],
  dropped: ['reason', 'status'],
  open: ['useragent', 'ip', 'sg_machine_open'],
  click: ['url', 'url_offset', 'useragent', 'ip'],
  spamreport: [],
};

const TIMELINES: [local: string, events: string[]][] = [
  ['someone', ['processed', 'delivered']],
  ['bounce', ['processed', 'bounce']],
  ['block', ['processed', 'bounce']],
  ['defer', ['processed', 'deferred', 'deferred', 'delivered']],
  ['drop', ['dropped']],
  ['spam', ['processed', 'delivered', 'spamreport']],
  ['open', ['processed', 'delivered', 'open']],
  ['click', ['processed', 'delivered', 'open', 'click']],
  ['silent', ['processed']],
];

void describe('delivery scenarios, sent through @sendgrid/mail', () => {
  for (const [local, expected] of TIMELINES) {
    void test(`${local}@ gets ${expected.join(', ')}`, async () => {
      const to = address(local);
      const startedAt = Math.floor(Date.now() / 1000);
      const [response] = await mailer.send(message(to));
      assert.equal(response.statusCode, 202);
      const messageId = String(response.headers['x-message-id']);
      assert.match(messageId, /^[\w-]{22}$/);
      await settle();

      const events = deliveredTo(to);
      assert.deepEqual(
        events.map((e) => e.event),
        expected,
      );
      assert.equal(new Set(events.map((e) => e.sg_event_id)).size, events.length, 'sg_event_id is unique');
      for (const event of events) {
        const withoutMessageId = local === 'bounce' && event.event === 'bounce';
        const keys = [...BASE_KEYS, ...EXTRA_KEYS[event.event]].filter(
          (key) => !(withoutMessageId && key === 'sg_message_id'),
        );
        assert.deepEqual(
          Object.keys(event).sort(),
          keys.sort(),
          `${event.event} has exactly SendGrid's fields`,
        );
        assert.equal(event.email, to);
        assert.equal(event.mailroom_email_id, `email-${to}`, 'custom args are top-level keys');
        assert.equal(event.category, 'welcome', 'a single category arrives as a string');
        assert.ok(Number.isInteger(event.timestamp) && event.timestamp >= startedAt);
        assert.ok(event.timestamp <= Math.floor(Date.now() / 1000));
        assert.match(event.sg_event_id, /^[\w-]{1,100}$/);
        assert.match(event['smtp-id'], /^<[^\s@<>]+@[^\s@<>]+>$/);
        if (!withoutMessageId) assert.ok(event.sg_message_id?.startsWith(`${messageId}.`), 'sg_message_id');
      }
    });
  }

  void test('bounce@ is a hard bounce whose event lacks sg_message_id', async () => {
    const to = address('bounce');
    await mailer.send(message(to));
    const bounce = await waitFor(() => deliveredTo(to).find((e) => e.event === 'bounce'));
    assert.equal('sg_message_id' in bounce, false);
    assert.equal(bounce.type, 'bounce');
    assert.equal(bounce.status, '5.1.1');
    assert.equal(bounce.reason, '550 5.1.1 The email account that you tried to reach does not exist');
    assert.equal(bounce.bounce_classification, 'Invalid Address');
    assert.ok(deliveredTo(to)[0].sg_message_id, 'its processed event still has one');
  });

  void test('block@ is a blocked (soft) bounce with a reputation classification', async () => {
    const to = address('block');
    const [response] = await mailer.send(message(to));
    const bounce = await waitFor(() => deliveredTo(to).find((e) => e.event === 'bounce'));
    assert.equal(bounce.type, 'blocked');
    assert.equal(bounce.bounce_classification, 'Reputation');
    assert.match(String(bounce.status), /^[45]\.\d\.\d$/);
    assert.match(String(bounce.reason), /blocked/);
    assert.ok(bounce.sg_message_id?.startsWith(`${String(response.headers['x-message-id'])}.`));
  });

  void test('defer@ is deferred twice, attempts as strings, then delivered', async () => {
    const to = address('defer');
    await mailer.send(message(to));
    const events = await waitFor(() => {
      const list = deliveredTo(to);
      return list.some((e) => e.event === 'delivered') && list;
    });
    const deferred = events.filter((e) => e.event === 'deferred');
    assert.deepEqual(
      deferred.map((e) => e.attempt),
      ['1', '2'],
    );
    assert.ok(deferred.every((e) => typeof e.response === 'string' && e.response.length > 0));
    const delivered = events.find((e) => e.event === 'delivered');
    assert.equal(delivered?.response, '250 OK');
    assert.equal(delivered?.tls, 1);
  });

  void test('drop@ is dropped as Invalid without being processed', async () => {
    const to = address('drop');
    await mailer.send(message(to));
    const dropped = await waitFor(() => deliveredTo(to).find((e) => e.event === 'dropped'));
    assert.equal(dropped.reason, 'Invalid');
    assert.match(String(dropped.status), /^5\.\d\.\d$/);
  });

  void test('open@ and click@ carry the open and click details', async () => {
    const opener = address('open');
    const clicker = address('click');
    await mailer.send(message(opener));
    await mailer.send(message(clicker));
    const open = await waitFor(() => deliveredTo(opener).find((e) => e.event === 'open'));
    assert.equal(open.sg_machine_open, false);
    assert.equal(typeof open.useragent, 'string');
    assert.equal(typeof open.ip, 'string');
    const click = await waitFor(() => deliveredTo(clicker).find((e) => e.event === 'click'));
    assert.equal(click.url, 'https://mailroom.test/welcome', 'the first link of the html');
    assert.deepEqual(click.url_offset, { index: 0, type: 'html' });
    assert.equal(typeof click.useragent, 'string');
  });

  void test('recipients are matched on the local part before +, any case, any domain', async () => {
    const to = `Bounce+${run}-${++serial}@Elsewhere.Example.org`;
    await mailer.send(message(to));
    await waitFor(() => deliveredTo(to).some((e) => e.event === 'bounce'), {
      message: 'a bounce for Bounce+…',
    });
  });
});

void describe('event contents', () => {
  void test('custom args merge message and personalization, and never override SendGrid keys', async () => {
    const to = address('someone');
    const cc = address('someone');
    const [response] = await mailer.send({
      ...message(to),
      to: undefined,
      personalizations: [{ to, cc, customArgs: { tenant: 'from-personalization', recipient_ref: 'r-1' } }],
      customArgs: {
        mailroom_email_id: 'e-merge',
        tenant: 'from-message',
        event: 'hijack',
        sg_message_id: 'spoof',
      },
    } as MailDataRequired);
    const messageId = String(response.headers['x-message-id']);
    const [toEvents, ccEvents] = await waitFor(() => {
      const lists = [deliveredTo(to), deliveredTo(cc)];
      return lists.every((l) => l.some((e) => e.event === 'delivered')) && lists;
    });
    for (const event of [...toEvents, ...ccEvents]) {
      assert.equal(event.mailroom_email_id, 'e-merge');
      assert.equal(event.tenant, 'from-personalization');
      assert.equal(event.recipient_ref, 'r-1');
      assert.ok(['processed', 'delivered'].includes(event.event), 'the reserved "event" key wins');
      assert.ok(event.sg_message_id?.startsWith(`${messageId}.`), 'the reserved sg_message_id wins');
    }
    assert.notEqual(toEvents[0].sg_message_id, ccEvents[0].sg_message_id, 'each recipient has its own');
  });

  void test('category is an array when several were sent and absent when none; asm_group_id is passed on', async () => {
    const several = address('someone');
    const none = address('someone');
    await mailer.send(message(several, { categories: ['welcome', 'onboarding'], asm: { groupId: 42 } }));
    await mailer.send(message(none, { categories: [] }));
    const [withSeveral, withNone] = await waitFor(() => {
      const events = [deliveredTo(several)[0], deliveredTo(none)[0]];
      return events.every(Boolean) && events;
    });
    assert.deepEqual(withSeveral.category, ['welcome', 'onboarding']);
    assert.equal(withSeveral.asm_group_id, 42);
    assert.equal('category' in withNone, false);
    assert.equal('asm_group_id' in withNone, false);
  });
});

void describe('mail/send answers', () => {
  void test('reject@ anywhere in the request gets a 400 and nothing is sent to anyone', async () => {
    const rejected = address('reject');
    const bystander = address('someone');
    const failure = await failureOf(mailer.send(message(bystander, { cc: rejected })));
    assert.equal(failure.code, 400);
    assertErrorBody(failure.response.body);
    assert.equal(failure.response.body.errors[0].field, 'personalizations.0.cc.0.email');
    await settle();
    assert.deepEqual(await sandboxGet(`/sandbox/events?email=${encodeURIComponent(bystander)}`), []);
    const [received] = await sandboxGet<{ status: number; messageId: string | null }[]>(
      `/sandbox/messages?to=${encodeURIComponent(bystander)}`,
    );
    assert.deepEqual([received.status, received.messageId], [400, null]);
  });

  void test('error@ gets 500 twice, then 202, counted per address', async () => {
    const to = address('error');
    for (let i = 0; i < 2; i++) {
      const failure = await failureOf(mailer.send(message(to)));
      assert.equal(failure.code, 500);
      assertErrorBody(failure.response.body);
    }
    const [response] = await mailer.send(message(to));
    assert.equal(response.statusCode, 202);
    const other = await failureOf(mailer.send(message(address('error'))));
    assert.equal(other.code, 500, 'another error@ address starts its own count');
    const received = await sandboxGet<{ status: number }[]>(`/sandbox/messages?to=${encodeURIComponent(to)}`);
    assert.deepEqual(
      received.map((r) => r.status),
      [500, 500, 202],
    );
  });

  void test('throttle@ gets one 429 with rate-limit headers, then 202', async () => {
    const to = address('throttle');
    const now = Math.floor(Date.now() / 1000);
    const failure = await failureOf(mailer.send(message(to)));
    assert.equal(failure.code, 429);
    assertErrorBody(failure.response.body);
    const { headers } = failure.response;
    assert.match(headers['x-ratelimit-limit'], /^\d+$/);
    assert.equal(headers['x-ratelimit-remaining'], '0');
    const reset = Number(headers['x-ratelimit-reset']);
    assert.ok(
      Number.isInteger(reset) && reset >= now + 1 && reset <= now + 2,
      `reset ${reset} is about now+1`,
    );
    const [response] = await mailer.send(message(to));
    assert.equal(response.statusCode, 202);
  });

  void test('with SANDBOX_RATE_LIMIT, a request above the cap gets 429 and its reset, then 202 after it', async () => {
    const capped = await startSandbox(
      { ...loadSandboxConfig({ ...sandboxEnv, SANDBOX_RATE_LIMIT: '3' }), port: 0 },
      () => {},
    );
    try {
      const cappedMailer = mailerFor(capped.url, API_KEY);
      const started = Math.floor(Date.now() / 1000);
      for (let i = 0; i < 3; i++) {
        const [response] = await cappedMailer.send(message(address('someone')));
        assert.equal(response.statusCode, 202, `request ${i + 1} of 3 is within the cap`);
      }
      const failure = await failureOf(cappedMailer.send(message(address('someone'))));
      assert.equal(failure.code, 429);
      assertErrorBody(failure.response.body);
      const { headers } = failure.response;
      assert.equal(headers['x-ratelimit-limit'], '3');
      assert.equal(headers['x-ratelimit-remaining'], '0');
      const reset = Number(headers['x-ratelimit-reset']);
      assert.ok(
        Number.isInteger(reset) && reset >= started && reset <= started + 2,
        `reset ${reset} is within a second or two of ${started}`,
      );
      await delay(Math.max(0, reset * 1000 - Date.now()));
      const [response] = await cappedMailer.send(message(address('someone')));
      assert.equal(response.statusCode, 202);
    } finally {
      await capped.close();
    }
  });

  void test('SANDBOX_RATE_LIMIT must be a positive integer; unset means no cap', () => {
    assert.equal(loadSandboxConfig(sandboxEnv).rateLimit, undefined);
    assert.equal(loadSandboxConfig({ ...sandboxEnv, SANDBOX_RATE_LIMIT: '150' }).rateLimit, 150);
    for (const bad of ['0', '-5', '1.5', 'fast']) {
      assert.throws(
        () => loadSandboxConfig({ ...sandboxEnv, SANDBOX_RATE_LIMIT: bad }),
        (err: Error) => err instanceof ConfigError && /SANDBOX_RATE_LIMIT/.test(err.message),
      );
    }
  });

  void test('validation collects every fault in SendGrid error body', async () => {
    const response = await fetch(`${sandbox.url}/v3/mail/send`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: 'not-an-address' }] }],
        categories: Array.from({ length: 11 }, (_, i) => `c${i}`),
        custom_args: { count: 1 },
        send_at: 'soon',
      }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as SendGridFailure['response']['body'];
    assertErrorBody(body);
    assert.deepEqual(body.errors.map((e) => e.field).sort(), [
      'categories',
      'content',
      'custom_args.count',
      'from',
      'personalizations.0.to.0.email',
      'send_at',
      'subject',
    ]);
    const from = body.errors.find((e) => e.field === 'from');
    assert.equal(
      from?.message,
      'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
    );
  });

  void test('a template send needs neither subject nor content', async () => {
    const to = address('someone');
    const [response] = await mailer.send({
      to,
      from: 'noreply@mailroom.test',
      templateId: 'd-0123456789abcdef',
      dynamicTemplateData: { name: 'Ada' },
    });
    assert.equal(response.statusCode, 202);
  });

  void test('malformed JSON gets a 400 SendGrid body', async () => {
    const response = await fetch(`${sandbox.url}/v3/mail/send`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: '{"personalizations": [',
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as SendGridFailure['response']['body'];
    assertErrorBody(body);
    assert.equal(body.errors[0].field, null);
  });

  void test('a wrong or missing API key gets a 401 whose error has no field', async () => {
    const to = address('someone');
    const failure = await failureOf(mailerFor(sandbox.url, 'SG.wrong').send(message(to)));
    assert.equal(failure.code, 401);
    assertErrorBody(failure.response.body);
    assert.equal(failure.response.body.errors[0].field, null);
    assert.equal(
      failure.response.body.errors[0].message,
      'The provided authorization grant is invalid, expired, or revoked',
    );
    const anonymous = await fetch(`${sandbox.url}/v3/mail/send`, { method: 'POST', body: '{}' });
    assert.equal(anonymous.status, 401);
    assertErrorBody((await anonymous.json()) as SendGridFailure['response']['body']);
  });

  void test('sandbox_mode answers 200 and sends no events', async () => {
    const to = address('someone');
    const [response] = await mailer.send(message(to, { mailSettings: { sandboxMode: { enable: true } } }));
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-message-id'], undefined);
    await settle();
    assert.deepEqual(deliveredTo(to), []);
    assert.deepEqual(await sandboxGet(`/sandbox/events?email=${encodeURIComponent(to)}`), []);
  });

  void test('/sandbox/messages?to= lists exactly the requests naming that address', async () => {
    const first = address('someone');
    const second = address('someone');
    await mailer.send(message(first));
    await mailer.send(message(second));
    await mailer.send(message(first, { subject: 'Again' }));
    type Received = { receivedAt: string; status: number; messageId: string; body: { subject: string } };
    const received = await sandboxGet<Received[]>(
      `/sandbox/messages?to=${encodeURIComponent(first.toUpperCase())}`,
    );
    assert.deepEqual(
      received.map((r) => [r.status, r.body.subject]),
      [
        [202, 'Welcome'],
        [202, 'Again'],
      ],
    );
    assert.ok(
      received.every((r) => /^[\w-]{22}$/.test(r.messageId) && !Number.isNaN(Date.parse(r.receivedAt))),
    );
    assert.deepEqual(await sandboxGet(`/sandbox/messages?to=${encodeURIComponent(address('nobody'))}`), []);
  });

  void test('/healthz answers 200 and /sandbox/public-key gives the SPKI key', async () => {
    assert.equal((await fetch(`${sandbox.url}/healthz`)).status, 200);
    const { publicKey } = await sandboxGet<{ publicKey: string }>('/sandbox/public-key');
    assert.equal(publicKey, signingKeys.publicKey);
    assert.equal(sandbox.publicKey, signingKeys.publicKey);
  });
});

void describe('webhook delivery', () => {
  void test('a batch answered 500 is posted again, byte for byte', async () => {
    const to = address('silent');
    failOnce.add(to);
    await mailer.send(message(to));
    const posts = await waitFor(() => {
      const mine = receiver.posts.filter((p) => p.events.some((e) => e.email === to));
      return mine.length >= 2 && mine;
    });
    assert.deepEqual(
      posts.map((p) => p.status),
      [500, 200],
    );
    assert.deepEqual(posts[1].raw, posts[0].raw);
  });

  void test(`a batch that keeps failing is given up after ${MAX_ATTEMPTS} attempts`, async () => {
    await settle();
    const to = address('silent');
    alwaysFail.add(to);
    const { dropped } = await sandboxGet<{ dropped: number }>('/sandbox/webhook');
    await mailer.send(message(to));
    await waitFor(async () => (await sandboxGet<{ dropped: number }>('/sandbox/webhook')).dropped > dropped);
    const posts = receiver.posts.filter((p) => p.events.some((e) => e.email === to));
    assert.equal(posts.length, MAX_ATTEMPTS);
    assert.ok(posts.every((p) => p.status === 500));
  });

  void test('without a webhook URL events are kept in memory only', async () => {
    const quiet = await startSandbox(
      {
        host: '127.0.0.1',
        port: 0,
        apiKey: API_KEY,
        signingKey: signingKeys.privateKey,
        eventDelayMs: 5,
        batchIntervalMs: 5,
        maxBatchSize: 100,
        webhookRetryMs: 5,
        webhookMaxAttempts: 1,
      },
      () => {},
    );
    try {
      const to = address('someone');
      await mailerFor(quiet.url, API_KEY).send(message(to));
      const events = await waitFor(async () => {
        const response = await fetch(`${quiet.url}/sandbox/events?email=${encodeURIComponent(to)}`);
        const list = (await response.json()) as WebhookEvent[];
        return list.length === 2 && list;
      });
      assert.deepEqual(
        events.map((e) => e.event),
        ['processed', 'delivered'],
      );
      assert.equal(deliveredTo(to).length, 0);
    } finally {
      await quiet.close();
    }
  });

  // Last, so it checks every batch the tests above caused, retries included.
  void test('@sendgrid/eventwebhook verifies every posted batch over the raw bytes received', async () => {
    await settle();
    const verifier = new EventWebhook();
    const key = verifier.convertPublicKeyToECDSA(sandbox.publicKey);
    assert.ok(receiver.posts.length > 10, `${receiver.posts.length} posts seen`);
    for (const post of receiver.posts) {
      assert.match(post.timestamp, /^\d+$/);
      assert.ok(
        verifier.verifySignature(key, post.raw, post.signature, post.timestamp),
        'signature verifies',
      );
    }
    const [sample] = receiver.posts;
    const tampered = Buffer.concat([sample.raw, Buffer.from(' ')]);
    assert.equal(verifier.verifySignature(key, tampered, sample.signature, sample.timestamp), false);
    const later = String(Number(sample.timestamp) + 1);
    assert.equal(verifier.verifySignature(key, sample.raw, sample.signature, later), false);
    const stranger = verifier.convertPublicKeyToECDSA(generateSigningKeyPair().publicKey);
    assert.equal(verifier.verifySignature(stranger, sample.raw, sample.signature, sample.timestamp), false);
  });
});
