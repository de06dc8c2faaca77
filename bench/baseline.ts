/**
 * The baseline: what sending costs with no tracking at all. A plain loop over @sendgrid/mail against a
 * sandbox like Mailroom's (same process, same cap, but posting no events), `concurrency` requests in
 * flight. Like any careful client it waits out a 429 until X-RateLimit-Reset and tries again.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { SANDBOX_SENDGRID_KEY } from '../dev/system';
import { forEachLimit } from '../lib/pool';
import { Progress } from './progress';
import { sample } from './procstat';
import { type Part, startSandboxPart } from './stack';
import { latencySummary, round } from './stats';

export interface BaselineResult {
  emails: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  /** 429s waited out. */
  throttled: number;
  /** Each send as its caller sees it, its waits after 429s included. */
  sendLatency: ReturnType<typeof latencySummary>;
  sandboxPeakMb: number;
}

export async function runBaseline(opts: {
  label: string;
  n: number;
  concurrency: number;
  rateLimit?: number;
  signingKey: string;
  dir: string;
}): Promise<BaselineResult> {
  const sandbox: Part = await startSandboxPart(`sandbox-baseline-${opts.label}`, {
    signingKey: opts.signingKey,
    rateLimit: opts.rateLimit,
    eventDelayMs: 100,
    batchIntervalMs: 1000,
    dir: opts.dir,
  });
  try {
    const mailer = mailerFor(sandbox.url);
    const progress = new Progress(`baseline ${opts.label}`, opts.n);
    const latencies: number[] = [];
    let throttled = 0;
    let done = 0;
    const started = performance.now();
    await forEachLimit(
      Array.from({ length: opts.n }, (_, i) => i),
      opts.concurrency,
      async (i) => {
        const sendStarted = performance.now();
        for (;;) {
          try {
            await mailer.send(message(`baseline-${i}@example.com`, `baseline-${i}`));
            break;
          } catch (err) {
            const { code, response } = err as {
              code?: number;
              response?: { headers?: Record<string, string> };
            };
            if (code !== 429) throw err;
            throttled++;
            const reset = Number(response?.headers?.['x-ratelimit-reset']) * 1000;
            await delay(Number.isFinite(reset) ? Math.max(0, reset - Date.now()) : 1000);
          }
        }
        latencies.push(performance.now() - sendStarted);
        progress.update(++done, `${throttled.toLocaleString('en-US')} × 429`);
      },
    );
    const seconds = (performance.now() - started) / 1000;
    progress.finish(done, `${(opts.n / seconds).toFixed(0)}/s`);
    return {
      emails: opts.n,
      concurrency: opts.concurrency,
      seconds: round(seconds, 2),
      perSecond: round(opts.n / seconds),
      throttled,
      sendLatency: latencySummary(latencies),
      sandboxPeakMb: round(sample(sandbox.pid)?.peakMb ?? NaN),
    };
  } finally {
    await sandbox.stop();
  }
}

function mailerFor(baseUrl: string): MailService {
  const client = new Client();
  client.setApiKey(SANDBOX_SENDGRID_KEY); // resets baseUrl, so it comes first
  client.setDefaultRequest('baseUrl', baseUrl);
  const mailer = new MailService();
  mailer.setClient(client);
  return mailer;
}

/** What Mailroom sends for one campaign email: the campaign's content, the email id as a custom arg. */
export function message(to: string, emailId: string) {
  return {
    to: { email: to },
    from: { email: 'bench@mailroom.test', name: 'Mailroom Bench' },
    subject: 'Spring launch',
    text: 'Hello, our spring collection is out. Reply STOP to opt out.',
    customArgs: { mailroom_email_id: emailId },
  };
}
