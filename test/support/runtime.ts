import { DefaultLogger, Runtime } from '@temporalio/worker';

// Expected failures (the sandbox's 500s and 429s, a Temporal outage in the relay test) are the point
// of some tests; only errors are worth printing. Must run before the first worker is created.
Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});
