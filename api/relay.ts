import { type IngestDeps, signalWorkflows } from './ingest';

export interface Relay {
  /** One pass; returns how many events are still waiting. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Delivers the events of webhook batches whose workflows could not all be signaled when they arrived
 * (Temporal down), so a webhook answered 200 never loses an event. A batch is signaled again whole;
 * workflows ignore an event key they have seen. Batches younger than `graceMs` are left to the
 * request that is storing them.
 */
export function startRelay(
  deps: IngestDeps,
  options: { intervalMs: number; graceMs: number; batch?: number },
): Relay {
  let running: Promise<number> | undefined;
  const runOnce = async (): Promise<number> => {
    const batches = await deps.stores.batches.pending(
      new Date(Date.now() - options.graceMs),
      options.batch ?? 50,
    );
    let waiting = 0;
    // Oldest first and one at a time, so each email's events reach it in the order they arrived.
    for (const batch of batches) {
      const left = await signalWorkflows(deps, await deps.stores.events.ofBatch(batch._id));
      if (left === 0) await deps.stores.batches.done(batch._id);
      waiting += left;
    }
    return waiting;
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
