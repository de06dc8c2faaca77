import { DefaultLogger, Runtime } from '@temporalio/worker';

// Expected activity failures (the sandbox's 500s and 429s) are the point of some tests; only
// errors are worth printing. Must run before the first worker is created.
Runtime.install({ logger: new DefaultLogger('ERROR') });
