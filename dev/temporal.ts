/**
 * Temporal servers for `npm start` and tests, run from the binaries `tools.ts` provides so nothing is
 * downloaded at run time. Honouring TEMPORAL_ADDRESS (an existing server) is the caller's decision.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
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
  searchAttributes?: DevServerConfig['searchAttributes'];
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
        searchAttributes: opts.searchAttributes,
        log: { format: 'pretty', level: 'error' },
      },
    }),
  );
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
  return withExecutable('Temporal time-skipping test server', await findTemporalTestServer(), (executable) =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }),
  );
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
