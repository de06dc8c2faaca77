import { randomInt } from 'node:crypto';
import { type Logger, Runtime, type TelemetryOptions } from '@temporalio/worker';

/**
 * The Temporal SDK's own metrics (task slots, poll and task latencies, activity and workflow outcomes)
 * come from its Rust core, which serves them in Prometheus's format on an address of its own. The
 * runtime holding that exporter is one per process and must be installed before any worker or native
 * connection exists; the worker's /metrics then fetches the core's text and appends it.
 */

let sdkMetricsAddress: string | undefined;

/** The core's exporter listens on loopback only, on a port picked here, since it cannot tell us one it picked. */
const PORTS = { min: 32768, max: 60999 };
const BIND_ATTEMPTS = 20;

export interface RuntimeSetup {
  logger?: Logger;
  logging?: TelemetryOptions['logging'];
  /** Signals that shut workers down; the SDK's default when not given. */
  shutdownSignals?: NodeJS.Signals[];
}

/**
 * Installs the process's Temporal runtime with `setup`'s logging and the SDK's Prometheus exporter.
 * Call it first thing, before any worker or NativeConnection is created (they would install a runtime
 * without the exporter, and this then throws). A second call in the same process does nothing.
 */
export function installRuntime(setup: RuntimeSetup = {}): void {
  if (sdkMetricsAddress) return;
  for (let attempt = 1; ; attempt++) {
    const address = `127.0.0.1:${randomInt(PORTS.min, PORTS.max + 1)}`;
    try {
      Runtime.install({
        ...(setup.logger && { logger: setup.logger }),
        ...(setup.shutdownSignals && { shutdownSignals: setup.shutdownSignals }),
        telemetryOptions: {
          ...(setup.logging && { logging: setup.logging }),
          metrics: {
            // Named as Prometheus (and Temporal's dashboards) expect: seconds, _seconds, _total.
            prometheus: {
              bindAddress: address,
              useSecondsForDurations: true,
              unitSuffix: true,
              countersTotalSuffix: true,
            },
          },
        },
      });
      sdkMetricsAddress = address;
      return;
    } catch (err) {
      const inUse = err instanceof Error && /address already in use/i.test(err.message);
      if (!inUse || attempt >= BIND_ATTEMPTS) throw err;
    }
  }
}

const SCRAPE_TIMEOUT_MS = 2000;

/**
 * The SDK's metrics in Prometheus's text format, for the whole process (every worker in it, labelled by
 * task queue); empty when the runtime was not installed by `installRuntime`. A failure is one comment
 * line, so the rest of a scrape still gets through.
 */
export async function sdkMetricsText(): Promise<string> {
  if (!sdkMetricsAddress) return '';
  try {
    const res = await fetch(`http://${sdkMetricsAddress}/metrics`, {
      signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return `# Temporal SDK metrics unavailable: ${reason.replace(/\s+/g, ' ')}\n`;
  }
}
