import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSendGrid } from '../activities/sendgrid';
import type { Stores } from '../db/connect';
import type { WorkerConfig } from './config';
import { createWorkerMetrics, startMetricsServer } from './metrics';

/** Where `npm run build` writes the prebuilt workflow bundle used in production. */
export const BUNDLE_PATH = path.resolve(__dirname, '..', 'workflow-bundle.js');

let bundle: Promise<WorkflowBundleOption> | undefined;

/** Bundles the workflow code once per process; every worker of the process reuses it. */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  if (existsSync(BUNDLE_PATH)) return Promise.resolve({ codePath: BUNDLE_PATH });
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: quietBundlerLogger,
  });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

export interface RunningWorker {
  worker: Worker;
  /** Where its Prometheus metrics are served (WORKER_METRICS_PORT). */
  metricsUrl: string;
  /** Settles when the worker has stopped; rejects if it failed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startWorker(config: WorkerConfig, stores: Stores): Promise<RunningWorker> {
  if (!config.callbacks.secret)
    console.warn('CALLBACK_SECRET is not set: outcome callbacks will fail (and retry) until it is');
  const metrics = createWorkerMetrics();
  const metricsServer = await startMetricsServer(metrics, config.metrics.host, config.metrics.port);
  let connection: NativeConnection | undefined;
  let worker: Worker;
  try {
    connection = await NativeConnection.connect({ address: config.temporal.address });
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({
        emails: stores.emails,
        suppressions: stores.suppressions,
        sendgrid: createSendGrid(config.sendgrid),
        callbacks: config.callbacks,
      }),
      interceptors: { activity: [metrics.activityInterceptor] },
    });
  } catch (err) {
    await connection?.close();
    await metricsServer.close();
    throw err;
  }
  const open = connection;
  const done = worker.run().finally(async () => {
    await open.close();
    await metricsServer.close();
  });
  return {
    worker,
    metricsUrl: metricsServer.url,
    done,
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
