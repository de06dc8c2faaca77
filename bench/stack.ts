/**
 * The servers a run measures, each in a process of its own so its memory and CPU are its own: one
 * Temporal dev server (in memory) and one FerretDB for the whole run, then per sending run a sandbox,
 * an API and a worker started from their production entry points with the environment they read there.
 */
import path from 'node:path';
import { startMongo } from '../dev/mongo';
import { freePort } from '../dev/ports';
import { type ManagedProcess, pollUntil, spawnLogged } from '../dev/processes';
import { SANDBOX_SENDGRID_KEY, DEV_CALLBACK_SECRET } from '../dev/system';
import { startTemporal } from '../dev/temporal';
import { ROOT } from '../dev/tools';
import { publicKeyFor } from '../sandbox/signing';
import { descendants } from './procstat';

const HOST = '127.0.0.1';
export const BENCH_API_KEY = 'bench-api-key';

/** Everything started and not yet stopped, newest last, for stopAll on Ctrl-C. */
const running: (() => Promise<void>)[] = [];

function track(stop: () => Promise<void>): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  const once = () => (stopped ??= stop());
  running.push(once);
  return async () => {
    const at = running.indexOf(once);
    if (at >= 0) running.splice(at, 1);
    await once();
  };
}

/** Stops whatever is still running, newest first. */
export async function stopAll(): Promise<void> {
  for (const stop of running.splice(0).reverse()) await stop().catch(() => undefined);
}

export interface Infra {
  temporalAddress: string;
  mongoUri: string;
  pids: { temporal: number; ferretdb: number };
  stop(): Promise<void>;
}

export async function startInfra(): Promise<Infra> {
  const [temporal, mongo] = await Promise.all([startTemporal(), startMongo()]);
  const below = descendants();
  const pidOf = (pattern: RegExp) => below.find((p) => pattern.test(p.command))?.pid ?? -1;
  return {
    temporalAddress: temporal.address,
    mongoUri: mongo.uri,
    pids: { temporal: pidOf(/temporal.*start-dev/), ferretdb: pidOf(/ferretdb/) },
    stop: track(async () => {
      await temporal.stop();
      await mongo.stop();
    }),
  };
}

export interface Part {
  name: string;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export interface PartOptions {
  /** Where the part's log (and CPU profile, with `profile`) goes. */
  dir: string;
  profile?: boolean;
}

/** Only what a deployment would set: nothing from the shell running the bench leaks in. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

async function startNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  opts: PartOptions & { graceMs?: number },
): Promise<{ proc: ManagedProcess; stop(): Promise<void> }> {
  const profile = opts.profile
    ? // A directory per part: tsx's module loader thread writes a profile of its own beside the main one.
      ['--cpu-prof', `--cpu-prof-dir=${path.join(opts.dir, `${name}-cpu-profiles`)}`]
    : [];
  const proc = await spawnLogged(name, process.execPath, [...profile, '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    logFile: path.join(opts.dir, `${name}.log`),
  });
  return { proc, stop: track(() => proc.stop(opts.graceMs ?? 10_000)) };
}

async function httpOk(url: string): Promise<true | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok ? true : undefined;
}

export interface SandboxPartOptions extends PartOptions {
  signingKey: string;
  /** Where events go; without one they stay in the sandbox (the baseline: no tracking). */
  webhookUrl?: string;
  rateLimit?: number;
  eventDelayMs: number;
  batchIntervalMs: number;
  port?: number;
}

export async function startSandboxPart(name: string, opts: SandboxPartOptions): Promise<Part> {
  const port = opts.port ?? (await freePort(HOST));
  const { proc, stop } = await startNode(
    name,
    'sandbox/main.ts',
    {
      PORT: String(port),
      SANDBOX_HOST: HOST,
      SANDBOX_API_KEY: SANDBOX_SENDGRID_KEY,
      SANDBOX_SIGNING_KEY: opts.signingKey,
      SANDBOX_EVENT_DELAY_MS: String(opts.eventDelayMs),
      SANDBOX_BATCH_INTERVAL_MS: String(opts.batchIntervalMs),
      ...(opts.webhookUrl && { SANDBOX_WEBHOOK_URL: opts.webhookUrl }),
      ...(opts.rateLimit && { SANDBOX_RATE_LIMIT: String(opts.rateLimit) }),
    },
    opts,
  );
  const url = `http://${HOST}:${port}`;
  await pollUntil(() => httpOk(`${url}/healthz`), {
    timeoutMs: 60_000,
    what: `${name} to answer`,
    child: proc,
  });
  return { name, pid: proc.pid, url, stop };
}

export interface MailroomPartOptions extends PartOptions {
  infra: Infra;
  db: string;
  taskQueue: string;
}

export async function startApiPart(
  name: string,
  opts: MailroomPartOptions & { signingKey: string; verify?: boolean; port?: number },
): Promise<Part> {
  const port = opts.port ?? (await freePort(HOST));
  const { proc, stop } = await startNode(
    name,
    'api/main.ts',
    {
      ...common(opts),
      PORT: String(port),
      HOST,
      API_KEYS: BENCH_API_KEY,
      DEFAULT_FROM: 'Mailroom Bench <bench@mailroom.test>',
      SENDGRID_WEBHOOK_PUBLIC_KEY: publicKeyFor(opts.signingKey),
      SENDGRID_WEBHOOK_VERIFY: String(opts.verify ?? true),
    },
    opts,
  );
  const url = `http://${HOST}:${port}`;
  await pollUntil(() => httpOk(`${url}/readyz`), {
    timeoutMs: 60_000,
    what: `${name} to be ready`,
    child: proc,
  });
  return { name, pid: proc.pid, url, stop };
}

export async function startWorkerPart(
  name: string,
  opts: MailroomPartOptions & { sandboxUrl: string },
): Promise<Part> {
  const { proc, stop } = await startNode(
    name,
    'worker/main.ts',
    {
      ...common(opts),
      SENDGRID_API_KEY: SANDBOX_SENDGRID_KEY,
      SENDGRID_API_URL: opts.sandboxUrl,
      CALLBACK_SECRET: DEV_CALLBACK_SECRET,
      WORKER_METRICS_HOST: HOST,
      WORKER_METRICS_PORT: '0',
    },
    // Shutting down waits for activities in flight.
    { ...opts, graceMs: 30_000 },
  );
  // It bundles the workflow code first (webpack), which takes a while on two cores.
  await pollUntil(async () => (proc.logTail(50).includes('worker polling task queue') ? true : undefined), {
    timeoutMs: 180_000,
    intervalMs: 250,
    what: `${name} to poll its task queue`,
    child: proc,
  });
  return { name, pid: proc.pid, url: '', stop };
}

function common(opts: MailroomPartOptions): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: opts.infra.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: opts.taskQueue,
    MONGODB_URI: opts.infra.mongoUri,
    MONGODB_DB: opts.db,
  };
}
