/**
 * Temporal servers for `npm start` and tests, run from the binaries `tools.ts` provides so nothing is
 * downloaded at run time. Honouring TEMPORAL_ADDRESS (an existing server) is the caller's decision.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_NAMES, searchAttributes } from '../workflows/search-attributes';
import { freePort } from './ports';
import { findTemporalCli, findTemporalTestServer, type Resolution } from './tools';

const HOST = '127.0.0.1';

type DevServerConfig = NonNullable<LocalTestWorkflowEnvironmentOptions['server']>;
type Executable = DevServerConfig['executable'];

export interface TemporalOptions {
  port?: number;
  /** Serve the Web UI; on by default only when `uiPort` is given. */
  ui?: boolean;
  uiPort?: number;
  /** SQLite file that keeps state across restarts; omitted, state lives in memory. */
  dbFile?: string;
  namespace?: string;
}

export interface RunningTemporal {
  address: string;
  namespace: string;
  uiUrl?: string;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

export async function startTemporal(opts: TemporalOptions = {}): Promise<RunningTemporal> {
  const namespace = opts.namespace ?? 'default';
  const ui = opts.ui ?? opts.uiPort !== undefined;
  // Chosen here rather than left to the SDK, whose UI default of port + 1000 can collide.
  const port = opts.port ?? (await freePort(HOST));
  const uiPort = ui ? (opts.uiPort ?? (await freePort(HOST))) : undefined;
  const dbFilename = opts.dbFile && path.resolve(opts.dbFile);
  if (dbFilename) await fsp.mkdir(path.dirname(dbFilename), { recursive: true });

  const env = await withExecutable('Temporal dev server', await findTemporalCli(), (executable) =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: HOST,
        port,
        ui,
        uiPort,
        dbFilename,
        namespace,
        // Mailroom's own, which workflows set: a server without them fails their tasks.
        searchAttributes: Object.values(searchAttributes),
        log: { format: 'pretty', level: 'error' },
        // One partition per task queue: the server splits a queue's rate limit (SEND_RATE_LIMIT) across
        // its partitions, and a few pollers do not drain four evenly, so the rate held would be lower.
        extraArgs: [
          '--dynamic-config-value',
          'matching.numTaskqueueReadPartitions=1',
          '--dynamic-config-value',
          'matching.numTaskqueueWritePartitions=1',
        ],
      },
    }),
  );
  // The CLI registers --search-attribute only when it creates the namespace, so a database kept from
  // before an attribute existed (`npm start`'s .data/) lacks it, and every workflow start fails.
  if (dbFilename) await registerSearchAttributes(env.connection, namespace);
  return {
    address: env.address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`,
    env,
    stop: once(() => env.teardown()),
  };
}

/** The Java-based test server, whose clock jumps ahead whenever no workflow has work to do. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const env = await withExecutable(
    'Temporal time-skipping test server',
    await findTemporalTestServer(),
    (executable) => TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }),
  );
  // A fresh test server has none of them (and cannot list what it has).
  await addSearchAttributes(env.connection, env.namespace ?? 'default', SEARCH_ATTRIBUTE_NAMES);
  return env;
}

/**
 * Registers Mailroom's search attributes on a server it did not start (TEMPORAL_ADDRESS), where they
 * may be missing; attributes already there are left as they are.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys({ ...existing.customAttributes, ...existing.systemAttributes }));
  const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !known.has(name));
  if (missing.length > 0) await addSearchAttributes(connection, namespace, missing);
}

async function addSearchAttributes(connection: Connection, namespace: string, names: string[]) {
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(names.map((name) => [name, keyword])),
  });
}

/**
 * Starts with the found binary; without one, lets the SDK download it (fine on a laptop with
 * internet, hopeless without) and, if that fails too, says everything that was tried.
 */
async function withExecutable<T>(
  what: string,
  found: Resolution,
  start: (executable: Executable) => Promise<T>,
): Promise<T> {
  if (found.path) return start({ type: 'existing-path', path: found.path });
  console.error(`No local binary for the ${what}; the Temporal SDK will try to download one.`);
  try {
    return await start(undefined);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Could not start the ${what}. Tried: ${found.tried.join('; ')}; then the SDK's download: ${reason}`,
      { cause: err },
    );
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/** A server someone else runs (TEMPORAL_ADDRESS): made ready for Mailroom's workflows, never stopped. */
export async function useExistingTemporal(address: string, namespace = 'default') {
  const connection = await Connection.connect({ address });
  try {
    await registerSearchAttributes(connection, namespace);
  } finally {
    await connection.close();
  }
  return { address, uiUrl: undefined, stop: async () => {} };
}
