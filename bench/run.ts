/**
 * `npm run bench`: Mailroom's figures on this machine, against what the same work costs without it.
 *  1. accept: a 100,000-recipient campaign until its 202, and a plain insertMany of the same documents;
 *  2. per sending run (uncapped, then the sandbox capped at `--cap` requests/s): a plain @sendgrid/mail
 *     loop (the baseline), then Mailroom (API, worker, sandbox in processes of their own) sending `--n`
 *     emails as one campaign to their final outcomes, with memory and CPU per process;
 *  3. webhook ingest at full speed, with signature verification on and off.
 * Prints a report on stdout and writes it, with every figure, to .data/bench/<time>/result.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from '../dev/ports';
import { DATA_DIR, findFerretdb, findTemporalCli } from '../dev/tools';
import { generateSigningKeyPair } from '../sandbox/signing';
import { measureAccept } from './accept';
import { type BenchArgs, parseArgs } from './args';
import { runBaseline } from './baseline';
import { batchBacklog, emailsOf, eventBatches, ingestPass, type IngestPass } from './ingest';
import { runCampaign } from './mailroom';
import { note } from './progress';
import { type BenchResult, type IngestSummary, type Machine, type SendingRun, judge, render } from './report';
import { type Infra, startApiPart, startInfra, startSandboxPart, startWorkerPart, stopAll } from './stack';
import { latencySummary, rate, round } from './stats';

/** Small, so an email's events follow its send closely; batches as often as the sandbox's default. */
const EVENT_DELAY_MS = 100;
const BATCH_INTERVAL_MS = 1000;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const dir = path.join(DATA_DIR, 'bench', started.toISOString().replace(/[:.]/g, '-'));
  fs.mkdirSync(dir, { recursive: true });
  const { privateKey: signingKey } = generateSigningKeyPair();

  note(`bench: logs${args.profile ? ' and CPU profiles' : ''} in ${path.relative(process.cwd(), dir)}`);
  note('bench: starting Temporal (dev server, in memory) and FerretDB');
  const infra = await startInfra();
  const partial: Omit<BenchResult, 'targets' | 'minutes'> = {
    startedAt: started.toISOString(),
    machine: await machine(),
    args,
    runs: [],
  };
  try {
    if (!args.skip.accept) {
      partial.accept = await measureAccept(infra, { ...args, signingKey, dir });
    }
    for (const rateLimit of [null, args.cap]) {
      if (args.skip[rateLimit === null ? 'uncapped' : 'capped']) continue;
      await sendingRun(infra, args, { rateLimit, signingKey, dir }, partial);
    }
    if (args.skip.uncapped && !args.skip.ingest) {
      partial.ingest = await freshIngest(infra, args, { signingKey, dir });
    }
  } finally {
    await infra.stop();
  }
  const minutes = round((Date.now() - started.getTime()) / 60_000);
  const result: BenchResult = { ...partial, minutes, targets: judge({ ...partial, minutes }) };
  fs.writeFileSync(path.join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(render(result));
  console.log(`\nWritten to ${path.relative(process.cwd(), path.join(dir, 'result.json'))}`);
}

async function sendingRun(
  infra: Infra,
  args: BenchArgs,
  opts: { rateLimit: number | null; signingKey: string; dir: string },
  into: Omit<BenchResult, 'targets' | 'minutes'>,
): Promise<void> {
  const label = opts.rateLimit === null ? 'uncapped' : 'capped';
  const rateLimit = opts.rateLimit ?? undefined;
  note(`\n${label}: baseline, then Mailroom, ${args.n.toLocaleString('en-US')} emails each`);
  const baseline = await runBaseline({
    label,
    n: args.n,
    concurrency: args.concurrency,
    rateLimit,
    signingKey: opts.signingKey,
    dir: opts.dir,
  });

  const db = `bench_${label}`;
  const taskQueue = `bench-${label}`;
  const apiPort = await freePort();
  const common = { infra, db, taskQueue, dir: opts.dir, profile: args.profile };
  const sandbox = await startSandboxPart(`sandbox-${label}`, {
    signingKey: opts.signingKey,
    webhookUrl: `http://127.0.0.1:${apiPort}/v1/webhooks/sendgrid`,
    rateLimit,
    eventDelayMs: EVENT_DELAY_MS,
    batchIntervalMs: BATCH_INTERVAL_MS,
    dir: opts.dir,
  });
  const parts = [sandbox];
  try {
    const api = await startApiPart(`api-${label}`, { ...common, signingKey: opts.signingKey, port: apiPort });
    parts.push(api);
    note(`${label}: worker bundling its workflows`);
    const worker = await startWorkerPart(`worker-${label}`, { ...common, sandboxUrl: sandbox.url });
    parts.push(worker);
    const target = {
      apiUrl: api.url,
      mongoUri: infra.mongoUri,
      db,
      pids: { api: api.pid, worker: worker.pid, sandbox: sandbox.pid, ...infra.pids },
    };
    const mailroom = await runCampaign(target, label, args.n, args.maxSeconds);
    const run: SendingRun = {
      label,
      rateLimit: opts.rateLimit,
      baseline,
      mailroom,
      ratio: rate(mailroom.sentPerSecond / baseline.perSecond),
    };
    into.runs.push(run);
    if (label === 'uncapped' && !args.skip.ingest) {
      // The API alone: no events of the sending run still arriving, no workflows still working.
      await worker.stop();
      await sandbox.stop();
      into.ingest = await ingest(infra, args, {
        ...common,
        signingKey: opts.signingKey,
        apiUrl: api.url,
        apiPid: api.pid,
      });
    }
  } finally {
    for (const part of parts.reverse()) await part.stop();
  }
}

/**
 * Ingest alone, on a database of its own: events for emails that were never stored (each still takes
 * the late path, finding no workflow), so the figure is the ingest path's own cost, with no sending
 * run's backlog and no collection grown by one.
 */
async function freshIngest(
  infra: Infra,
  args: BenchArgs,
  opts: { signingKey: string; dir: string },
): Promise<IngestSummary> {
  const common = {
    infra,
    db: 'bench_ingest',
    taskQueue: 'bench-ingest',
    dir: opts.dir,
    profile: args.profile,
  };
  const api = await startApiPart('api-ingest', { ...common, signingKey: opts.signingKey });
  try {
    const emails = Array.from({ length: Math.ceil(args.ingestEvents / 2) }, (_, i) => ({
      id: `em_bench${String(i).padStart(8, '0')}`,
      to: `ingest-${i}@example.com`,
    }));
    return await ingest(
      infra,
      args,
      { ...common, signingKey: opts.signingKey, apiUrl: api.url, apiPid: api.pid },
      emails,
    );
  } finally {
    await api.stop();
  }
}

async function ingest(
  infra: Infra,
  args: BenchArgs,
  opts: {
    db: string;
    taskQueue: string;
    dir: string;
    profile: boolean;
    signingKey: string;
    apiUrl: string;
    apiPid: number;
  },
  known?: { id: string; to: string }[],
): Promise<IngestSummary> {
  note(
    `\ningest: ${args.ingestEvents.toLocaleString('en-US')} events per mode, verify on and off, alternating`,
  );
  const unverified = await startApiPart(`api-noverify`, { infra, ...opts, verify: false });
  const mongo = new MongoClient(infra.mongoUri);
  try {
    const emails = known ?? (await emailsOf(infra.mongoUri, opts.db));
    const middle = Math.ceil(emails.length / 2);
    // Each mode its own half of the emails, each pass its own day of timestamps: every event is new.
    const sets = { on: emails.slice(0, middle), off: emails.slice(middle) };
    const urls = { on: `${opts.apiUrl}/v1/webhooks/sendgrid`, off: `${unverified.url}/v1/webhooks/sendgrid` };
    const pids = { on: opts.apiPid, off: unverified.pid };
    const day = 86_400;
    let base = Math.floor(Date.now() / 1000) - 10 * day;
    const passes: IngestPass[] = [];
    // Alternating, so neither mode gets the quieter moment; each time-boxed by --ingest-seconds.
    const half = Math.ceil(args.ingestEvents / 2);
    const rounds = [
      { mode: 'on', events: 200, warm: true },
      { mode: 'off', events: 200, warm: true },
      { mode: 'on', events: half },
      { mode: 'off', events: half },
      { mode: 'on', events: half },
      { mode: 'off', events: half },
    ] as const;
    for (const [k, r] of rounds.entries()) {
      base += day;
      const batches = eventBatches(sets[r.mode], r.events, args.ingestBatch, `pass${k}-${Date.now()}`, base);
      const pass = await ingestPass({
        url: urls[r.mode],
        verify: r.mode === 'on',
        batches,
        concurrency: args.ingestConcurrency,
        maxSeconds: args.ingestSeconds / 2,
        signingKey: opts.signingKey,
        pids: { api: pids[r.mode], temporal: infra.pids.temporal, ferretdb: infra.pids.ferretdb },
        backlog: batchBacklog(mongo, opts.db),
      });
      if (!('warm' in r)) passes.push(pass);
    }
    const mode = (verify: boolean) => {
      const chosen = passes.filter((p) => p.verify === verify);
      const events = chosen.reduce((sum, p) => sum + p.events, 0);
      const seconds = chosen.reduce((sum, p) => sum + p.seconds, 0);
      const latency = latencySummary(chosen.flatMap((p) => p.latenciesMs));
      const applied = chosen.every((p) => p.appliedSeconds !== null)
        ? rate(events / chosen.reduce((sum, p) => sum + (p.appliedSeconds ?? 0), 0))
        : null;
      return {
        events,
        eventsPerSecond: rate(events / seconds),
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
        appliedPerSecond: applied,
      };
    };
    const on = mode(true);
    const off = mode(false);
    return {
      events: on.events,
      batchSize: args.ingestBatch,
      concurrency: args.ingestConcurrency,
      passes,
      on,
      off,
      ratio: round(on.eventsPerSecond / off.eventsPerSecond, 3),
    };
  } finally {
    await mongo.close();
    await unverified.stop();
  }
}

async function machine(): Promise<Machine> {
  const cpuModel =
    /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  const version = async (find: typeof findTemporalCli, args: string[]) => {
    const found = (await find()).path;
    return found ? execFileSync(found, args, { encoding: 'utf8' }).split('\n')[0].trim() : 'unknown';
  };
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpuModel ?? 'unknown',
    memoryGb: round(os.totalmem() / 2 ** 30),
    node: process.version,
    temporal: await version(findTemporalCli, ['--version']),
    ferretdb: (await version(findFerretdb, ['--version'])).replace(/^version:\s*/, ''),
  };
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    note(`\nbench: ${signal}, stopping what it started`);
    void stopAll().finally(() => process.exit(130));
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
