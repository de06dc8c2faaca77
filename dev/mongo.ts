/**
 * A MongoDB-compatible server for `npm start` and tests. Real MongoDB is preferred when present;
 * FerretDB (built into `.tools/` on first use) is what a fresh machine without it gets.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MongoClient } from 'mongodb';
import { freePort } from './ports';
import { pollUntil, spawnLogged, type ManagedProcess } from './processes';
import { findFerretdb, mongodPath } from './tools';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;

export type MongoKind = 'external' | 'mongod' | 'ferretdb' | 'memory-server';

export interface MongoOptions {
  /** Kept across restarts; omitted, a temp dir is used and removed on stop. */
  dataDir?: string;
  port?: number;
}

export interface RunningMongo {
  uri: string;
  kind: MongoKind;
  stop(): Promise<void>;
}

export async function startMongo(opts: MongoOptions = {}): Promise<RunningMongo> {
  const external = process.env.MONGODB_URI?.trim();
  if (external) {
    await waitForPing(external, { timeoutMs: 10_000 });
    return { uri: external, kind: 'external', stop: async () => {} };
  }
  const tried = ['MONGODB_URI (unset)'];

  const mongod = mongodPath();
  if (mongod) {
    return startChild('mongod', opts, (dataDir, port) => [
      mongod,
      ['--dbpath', dataDir, '--port', String(port), '--bind_ip', HOST],
    ]);
  }
  tried.push('mongod on PATH');

  const ferretdb = await findFerretdb();
  if (ferretdb.path) {
    const exe = ferretdb.path;
    return startChild('ferretdb', opts, (dataDir, port) => [
      exe,
      [
        '--handler=sqlite',
        // A file URL, so a data dir with spaces or other odd characters survives FerretDB's URL parsing.
        // IMMEDIATE transactions take the write lock up front and wait for it (busy_timeout); the default
        // deferred ones fail with SQLITE_BUSY ("database is locked") when two writers meet under load.
        `--sqlite-url=${pathToFileURL(dataDir).href}/?_txlock=immediate`,
        `--state-dir=${dataDir}`,
        `--listen-addr=${HOST}:${port}`,
        // "-" turns off the metrics/pprof listener, whose fixed default port would clash between instances.
        '--debug-addr=-',
        '--telemetry=disable',
        // At warn it logs every command it lacks, such as the endSessions the driver sends on close.
        '--log-level=error',
      ],
    ]);
  }
  tried.push(...ferretdb.tried.map((t) => `FerretDB: ${t}`));

  const memory = await startMemoryServer(opts);
  if (memory) return memory;
  tried.push('mongodb-memory-server (not installed)');

  throw new Error(
    `No MongoDB-compatible server could be started. Tried: ${tried.join('; ')}. ` +
      'Set MONGODB_URI to use a server you already run.',
  );
}

async function startChild(
  kind: 'mongod' | 'ferretdb',
  opts: MongoOptions,
  command: (dataDir: string, port: number) => [string, string[]],
): Promise<RunningMongo> {
  const dataDir = opts.dataDir
    ? path.resolve(opts.dataDir)
    : await fsp.mkdtemp(path.join(os.tmpdir(), `mailroom-${kind}-`));
  await fsp.mkdir(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort(HOST));
  const uri = `mongodb://${HOST}:${port}/`;

  let child: ManagedProcess | undefined;
  const stop = async () => {
    await child?.stop();
    if (!opts.dataDir) await fsp.rm(dataDir, { recursive: true, force: true });
  };
  try {
    child = await spawnLogged(kind, ...command(dataDir, port));
    await waitForPing(uri, { timeoutMs: START_TIMEOUT_MS, child });
  } catch (err) {
    await stop();
    throw err;
  }
  let stopped: Promise<void> | undefined;
  // FerretDB's SQLite takes one writer at a time and makes the others sleep and retry; a small pool
  // queues them in the driver instead (600 mixed concurrent writes: 3.8 s with the driver's 100, 1.6 s with 8).
  const clientUri = kind === 'ferretdb' ? `${uri}?maxPoolSize=8` : uri;
  return { uri: clientUri, kind, stop: () => (stopped ??= stop()) };
}

async function waitForPing(uri: string, opts: { timeoutMs: number; child?: ManagedProcess }): Promise<void> {
  await pollUntil(
    async () => {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
      try {
        await client.db('admin').command({ ping: 1 });
        return true;
      } finally {
        await client.close();
      }
    },
    { ...opts, what: `a MongoDB ping at ${uri}` },
  );
}

interface MemoryServerModule {
  MongoMemoryServer: {
    create(opts: { instance: { ip: string; port?: number; dbPath?: string } }): Promise<{
      getUri(): string;
      stop(): Promise<unknown>;
    }>;
  };
}

// Not a dependency: used only if someone installed it, and it fetches a mongod over the internet.
async function startMemoryServer(opts: MongoOptions): Promise<RunningMongo | undefined> {
  const specifier = 'mongodb-memory-server';
  let loaded: Partial<MemoryServerModule> & { default?: Partial<MemoryServerModule> };
  try {
    loaded = (await import(specifier)) as typeof loaded;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  const MongoMemoryServer = loaded.MongoMemoryServer ?? loaded.default?.MongoMemoryServer;
  if (!MongoMemoryServer) throw new Error(`${specifier} is installed but exports no MongoMemoryServer`);
  if (opts.dataDir) await fsp.mkdir(opts.dataDir, { recursive: true });
  const server = await MongoMemoryServer.create({
    instance: { ip: HOST, port: opts.port, dbPath: opts.dataDir && path.resolve(opts.dataDir) },
  });
  let stopped: Promise<void> | undefined;
  return {
    uri: server.getUri(),
    kind: 'memory-server',
    stop: () => (stopped ??= server.stop().then(() => undefined)),
  };
}
