import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSendGrid } from '../activities/sendgrid';
import { sendTaskQueueOf } from '../workflows/task-queues';
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
  let clientConnection: Connection | undefined;
  let worker: Worker;
  let sendWorker: Worker;
  try {
    connection = await NativeConnection.connect({ address: config.temporal.address });
    clientConnection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
    const activities = createActivities({
      emails: stores.emails,
      campaigns: stores.campaigns,
      recipients: stores.recipients,
      counters: stores.counters,
      suppressions: stores.suppressions,
      sendgrid: createSendGrid(config.sendgrid),
      callbacks: config.callbacks,
      temporal: {
        client,
        start: {
          taskQueue: config.temporal.taskQueue,
          recipientInTemporal: config.temporal.recipientInTemporal,
          callbackMaxAttempts: config.callbacks.maxAttempts,
        },
      },
    });
    worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      interceptors: { activity: [metrics.activityInterceptor] },
    });
    // Sends have a task queue of their own, so the server can hold all workers to SEND_RATE_LIMIT.
    sendWorker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: sendTaskQueueOf(config.temporal.taskQueue),
      activities: { sendEmail: activities.sendEmail },
      interceptors: { activity: [metrics.activityInterceptor] },
      ...(config.sendRateLimit !== null && {
        maxTaskQueueActivitiesPerSecond: config.sendRateLimit,
        maxActivitiesPerSecond: config.sendRateLimit,
      }),
    });
  } catch (err) {
    await connection?.close();
    await clientConnection?.close();
    await metricsServer.close();
    throw err;
  }
  const open = connection;
  const openClient = clientConnection;
  const both = [worker, sendWorker];
  const stopAll = () => both.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  const done = (async () => {
    // One failing worker stops the other, so the process never runs half a worker.
    const runs = await Promise.allSettled(
      both.map((w) =>
        w.run().catch((err: unknown) => {
          stopAll();
          throw err;
        }),
      ),
    );
    await open.close();
    await openClient.close();
    await metricsServer.close();
    const failed = runs.find((run) => run.status === 'rejected');
    if (failed) throw failed.reason;
  })();
  return {
    worker,
    metricsUrl: metricsServer.url,
    done,
    shutdown: async () => {
      stopAll();
      await done;
    },
  };
}
