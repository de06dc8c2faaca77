import { Router } from 'express';
import type { Stores } from '../../db/connect';
import { scopes } from '../../db/counters';
import { badRequest, notFound } from '../errors';
import { INTERVALS, MAX_POINTS, floorTo, ratesOf } from '../reports';
import { campaignReportQuery, parseBody, summaryReportQuery } from '../schemas';

/** A week of days unless told otherwise. */
const DEFAULT_SPAN = { hour: 48, day: 7 };

/** Delivery reports from the counters (db/counters.ts): answered from buckets, exact to `asOf`. */
export function reportsRouter(deps: { stores: Stores }): Router {
  const router = Router();
  const { campaigns, counters } = deps.stores;

  router.get('/campaigns/:id', async (req, res) => {
    const query = parseBody(campaignReportQuery, req.query);
    const now = new Date();
    const asOf = query.asOf ?? now;
    if (asOf > now)
      throw badRequest('the request has invalid fields', [
        { field: 'asOf', message: 'must not be in the future' },
      ]);
    const campaign = await campaigns.get(req.params.id);
    if (!campaign) throw notFound(`no campaign with id ${req.params.id}`);
    const counts = await counters.totals(scopes.campaign(campaign._id), asOf);
    res.json({
      campaignId: campaign._id,
      name: campaign.name,
      state: campaign.state,
      total: campaign.total,
      asOf: asOf.toISOString(),
      counts,
      rates: ratesOf(counts),
    });
  });

  router.get('/summary', async (req, res) => {
    const query = parseBody(summaryReportQuery, req.query);
    const step = INTERVALS[query.interval];
    const to = query.to ?? new Date();
    const from = new Date(
      floorTo(
        (query.from ?? new Date(to.getTime() - DEFAULT_SPAN[query.interval] * step)).getTime(),
        query.interval,
      ),
    );
    if ((to.getTime() - from.getTime()) / step > MAX_POINTS) {
      throw badRequest('the request has invalid fields', [
        { field: 'from', message: `the range may hold at most ${MAX_POINTS} ${query.interval}s` },
      ]);
    }
    const scope = query.category ? scopes.category(query.category) : scopes.all;
    const points = await counters.series(scope, from, to, step);
    res.json({
      from: from.toISOString(),
      to: to.toISOString(),
      interval: query.interval,
      category: query.category ?? null,
      points: points.map((p) => ({
        start: p.start.toISOString(),
        counts: p.counts,
        rates: ratesOf(p.counts),
      })),
    });
  });

  return router;
}
