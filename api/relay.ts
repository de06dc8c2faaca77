import type { EventDoc, WebhookBatchDoc } from '../db/types';
import { type IngestDeps, applyBatch } from './ingest';

export interface Relay {
  /** A batch this process has just stored; applied after those handed over before it. */
  submit(batch: WebhookBatchDoc, fresh: EventDoc[]): void;
  /** Applies everything handed over, then the stored batches due; returns how many events still wait. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  /** How often stored batches are looked for when nothing has been handed over. */
  intervalMs: number;
  /** Stored batches younger than this belong to the process that stored them (another API, say). */
  graceMs: number;
  batch?: number;
}

/**
 * The outbox relay: applies webhook batches after SendGrid has been answered. Batches this process
 * stored are handed over in memory and applied in arrival order, one at a time, so each email's
 * events reach it in the order they came. Batches still stored after the grace period (Temporal was
 * down, or the process that stored them died) are read back and applied again whole; every step of
 * applying one is idempotent, and workflows ignore an event key they have seen.
 */
export function startRelay(deps: IngestDeps, options: RelayOptions): Relay {
  const handedOver: { batch: WebhookBatchDoc; fresh: EventDoc[] }[] = [];
  /** This process's batches that could not be applied yet: retried each interval, oldest first. */
  const failed: WebhookBatchDoc[] = [];
  const held = new Set<string>();
  let running: Promise<number> | undefined;
  let stopped = false;
  let lastLookAt = 0;

  /** Applies one batch; one that cannot be applied now is kept for the next interval. */
  const apply = async (batch: WebhookBatchDoc, fresh: () => Promise<EventDoc[]>): Promise<number> => {
    let waiting = 1;
    try {
      waiting = await applyBatch(deps, await fresh());
      if (waiting === 0) await deps.stores.batches.done(batch._id);
    } catch (err) {
      deps.log(`could not apply webhook batch ${batch._id}; the relay will retry it`, err);
    }
    if (waiting === 0) held.delete(batch._id);
    // Past a bound, a long outage's batches are left to the look at stored ones instead of memory.
    else if (failed.length < MAX_KEPT_FAILED) failed.push(batch);
    else held.delete(batch._id);
    return waiting;
  };

  const runOnce = async (): Promise<number> => {
    let waiting = 0;
    const due = Date.now() - lastLookAt >= options.intervalMs;
    if (due) {
      lastLookAt = Date.now();
      for (const batch of failed.splice(0))
        waiting += await apply(batch, () => deps.stores.events.ofBatch(batch));
    }
    for (let next = handedOver.shift(); next; next = handedOver.shift()) {
      const { fresh } = next;
      waiting += await apply(next.batch, async () => fresh);
    }
    if (!due) return waiting;
    const stored = await deps.stores.batches.pending(
      new Date(Date.now() - options.graceMs),
      options.batch ?? 50,
      held,
    );
    for (const batch of stored) {
      held.add(batch._id);
      waiting += await apply(batch, () => deps.stores.events.ofBatch(batch));
    }
    return waiting;
  };

  const wake = () => {
    if (stopped) return;
    running ??= runOnce()
      .catch((err: unknown) => {
        deps.log('relay pass failed', err);
        return -1;
      })
      .finally(() => {
        running = undefined;
        // Batches handed over while this pass was busy with others.
        if (handedOver.length > 0) wake();
      });
  };
  const timer = setInterval(wake, options.intervalMs);
  timer.unref();
  return {
    submit(batch, fresh) {
      held.add(batch._id);
      handedOver.push({ batch, fresh });
      wake();
    },
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

const MAX_KEPT_FAILED = 1_000;
