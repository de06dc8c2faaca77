import { Router } from 'express';
import type { Stores } from '../../db/connect';
import type { TemporalGateway } from '../temporal';

export function healthRouter(deps: { stores: Stores; temporal: TemporalGateway }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [mongo, temporal] = await Promise.allSettled([deps.stores.ping(), deps.temporal.ping()]);
    const checks = { mongodb: state(mongo), temporal: state(temporal) };
    const ready = mongo.status === 'fulfilled' && temporal.status === 'fulfilled';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  return router;
}

const state = (result: PromiseSettledResult<unknown>) =>
  result.status === 'fulfilled' ? 'ok' : 'unreachable';
