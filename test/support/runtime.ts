import { DefaultLogger } from '@temporalio/worker';
import { installRuntime } from '../../worker/runtime';

// Expected failures (the sandbox's 500s and 429s, a Temporal outage in the relay test) are the point
// of some tests; only errors are worth printing. Must run before the first worker is created. The SDK's
// Prometheus exporter is on, as in production, so the workers' /metrics carry the SDK's metrics.
installRuntime({
  logger: new DefaultLogger('ERROR'),
  logging: { filter: { core: 'ERROR', other: 'ERROR' } },
});
