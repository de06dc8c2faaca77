import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { FINAL_STATUSES, type Outcome } from '../workflows/status';
import { sdkMetricsText } from './runtime';

/**
 * The worker's metrics, in a registry of their own (the dev system and the tests run an API and
 * several workers in one process). Activity durations and failures by type are the SDK's own
 * (`temporal_activity_execution_latency_seconds`, `temporal_activity_execution_failed_total`).
 */
export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const emailsFinished = new Counter({
    name: 'mailroom_emails_finished_total',
    help: 'Emails that reached their final outcome, by result, counted when the outcome is recorded',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of FINAL_STATUSES) emailsFinished.inc({ result }, 0);

  /**
   * Counts outcomes in one place, whatever path through the workflow reached them: each completed
   * `recordOutcome(emailId, outcome)`. A failed attempt is not counted; its retry is.
   */
  const activityInterceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (ctx.info.activityType === 'recordOutcome') {
          const outcome = input.args[1] as Outcome | undefined;
          if (outcome?.result) emailsFinished.inc({ result: outcome.result });
        }
        return result;
      },
    },
  });

  /** This worker's metrics followed by the SDK's, as one Prometheus text document. */
  const render = async (): Promise<string> => {
    const [own, sdk] = await Promise.all([registry.metrics(), sdkMetricsText()]);
    return own + sdk;
  };

  return { registry, activityInterceptor, render, contentType: registry.contentType };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET /metrics, and nothing else, on `host:port` (0 picks a free port). */
export async function startMetricsServer(
  metrics: Pick<WorkerMetrics, 'render' | 'contentType'>,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the worker serves GET /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${bound}/metrics`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
