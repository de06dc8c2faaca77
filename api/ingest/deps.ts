import type { Stores } from '../../db/connect';
import type { SuppressionPolicy } from '../../lib/suppression-policy';
import type { ApiMetrics } from '../metrics';
import type { TemporalGateway } from '../temporal';

/** How many workflows are signaled, or notifications started, at once. */
export const CONCURRENCY = 16;

export interface IngestDeps {
  stores: Stores;
  temporal: TemporalGateway;
  log: (message: string, err?: unknown) => void;
  /** The soft-bounce rules; the defaults when not given. */
  suppression?: SuppressionPolicy;
  /** Attempts per engagement callback (CALLBACK_MAX_ATTEMPTS); the default when not given. */
  callbackMaxAttempts?: number;
  /** Counts stored events and signals; nothing is counted when not given. */
  metrics?: Pick<ApiMetrics, 'webhookEvent' | 'signal'>;
}
