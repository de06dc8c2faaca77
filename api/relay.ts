import { type IngestDeps, signalWorkflows } from './ingest';

export interface Relay {
  /** One pass; returns how many events are still waiting. Exposed so tests need not wait for the timer. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Delivers stored events whose workflow could not be signaled when they arrived (Temporal down),
 * so a webhook answered 200 never loses an event. Events younger than `graceMs` are left to the
 * request that is storing them.
 */
export function startRelay(
  deps: IngestDeps,
  options: { intervalMs: number; graceMs: number; batch?: number },
): Relay {
  let running: Promise<number> | undefined;
  const runOnce = async (): Promise<number> => {
    const events = await deps.stores.events.pending(
      new Date(Date.now() - options.graceMs),
      options.batch ?? 500,
    );
    return events.length ? signalWorkflows(deps, events) : 0;
  };
  const tick = () => {
    running ??= runOnce()
      .catch((err: unknown) => {
        deps.log('relay pass failed', err);
        return -1;
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
