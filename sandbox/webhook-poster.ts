import type { KeyObject } from 'node:crypto';
import type { WebhookEvent } from './events';
import { signatureHeaders } from './signing';

export interface PosterOptions {
  /** Where batches go; without one, events stay only in the sandbox's memory. */
  url?: string;
  signingKey: KeyObject;
  batchIntervalMs: number;
  maxBatchSize: number;
  /** First retry delay; each further retry waits twice as long. */
  retryMs: number;
  /** Posts per batch, the first included, before the batch is dropped. */
  maxAttempts: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface PosterStats {
  queued: number;
  /** Batches the receiver answered 2xx. */
  delivered: number;
  /** Posts that failed and were scheduled again. */
  retried: number;
  /** Batches given up on after maxAttempts. */
  dropped: number;
}

/**
 * Posts events as SendGrid does: signed JSON arrays, batched on a timer. First attempts go out one at a
 * time in order; events that arrive while one is in flight wait for it and go out together in the next
 * batch (up to maxBatchSize), so a slow receiver gets fewer, larger batches instead of a growing line.
 * A failed batch is retried later with growing backoff while newer batches go ahead, so the receiver
 * sees events out of order exactly when SendGrid's would.
 */
export class WebhookPoster {
  private queue: WebhookEvent[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly flushTimer?: NodeJS.Timeout;
  private readonly abort = new AbortController();
  private readonly counts = { delivered: 0, retried: 0, dropped: 0 };
  private closed = false;
  /** A first attempt is in flight: new events wait in the queue for the next batch. */
  private posting = false;

  constructor(private readonly options: PosterOptions) {
    if (options.url) this.flushTimer = setInterval(() => this.flush(), options.batchIntervalMs);
  }

  enqueue(event: WebhookEvent): void {
    if (this.closed || !this.options.url) return;
    this.queue.push(event);
    if (this.queue.length >= this.options.maxBatchSize) this.flush();
  }

  stats(): PosterStats {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Stops timers and aborts posts in flight; events not yet delivered are lost, as on a crash. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    this.queue = [];
    this.abort.abort();
    await this.chain;
  }

  private flush(): void {
    if (this.posting || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    this.posting = true;
    this.send(Buffer.from(JSON.stringify(batch)), batch.length, 1);
  }

  private send(body: Buffer, size: number, attempt: number): void {
    this.chain = this.chain
      .then(() => this.post(body, size, attempt))
      .finally(() => {
        if (attempt > 1) return;
        this.posting = false;
        this.flush();
      });
  }

  private async post(body: Buffer, size: number, attempt: number): Promise<void> {
    if (this.closed) return;
    const failure = await this.attempt(body);
    if (this.closed) return;
    if (!failure) {
      this.counts.delivered++;
      return;
    }
    const { maxAttempts, retryMs, log } = this.options;
    if (attempt >= maxAttempts) {
      this.counts.dropped++;
      log?.(`webhook: dropped a batch of ${size} events after ${attempt} attempts (${failure})`);
      return;
    }
    this.counts.retried++;
    const delay = retryMs * 2 ** (attempt - 1);
    log?.(`webhook: post failed (${failure}); retry ${attempt} of ${maxAttempts - 1} in ${delay} ms`);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.send(body, size, attempt + 1);
    }, delay);
    this.retryTimers.add(timer);
  }

  /** One post; resolves to why it failed, or undefined on a 2xx. Never rejects. */
  private async attempt(body: Buffer): Promise<string | undefined> {
    const { url } = this.options;
    if (!url) return 'no webhook URL';
    try {
      const response = await fetch(url, {
        method: 'POST',
        // Signed at each attempt: like SendGrid, a retry carries a fresh timestamp over the same bytes.
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'SendGrid Event API',
          ...signatureHeaders(this.options.signingKey, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
}
