import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/client';
import { scopes } from '../../db/counters';
import { type CampaignDeps, acceptCampaign } from '../accept-campaign';
import { campaignView } from '../campaign-view';
import { conflict, notFound } from '../errors';
import { controlCampaignBody, createCampaignBody, listCampaignsQuery, parseBody } from '../schemas';
import type { CampaignAction } from '../temporal';

/** What each control may follow: a finished campaign takes none. */
const ALLOWED_FROM: Record<CampaignAction, string[]> = {
  pause: ['scheduled', 'running', 'paused'],
  resume: ['paused'],
  cancel: ['scheduled', 'running', 'paused'],
};

export function campaignsRouter(deps: CampaignDeps): Router {
  const router = Router();
  const { campaigns, counters } = deps.stores;

  router.post('/', async (req, res) => {
    const body = parseBody(createCampaignBody, req.body);
    const accepted = await acceptCampaign(deps, body);
    res.status(202).location(`${req.baseUrl}/${accepted.id}`).json(accepted);
  });

  /** Newest first, each with its live counters: what the dashboard lists. */
  router.get('/', async (req, res) => {
    const { limit } = parseBody(listCampaignsQuery, req.query);
    const recent = await campaigns.recent(limit);
    const views = await Promise.all(
      recent.map(async (c) => campaignView(c, await counters.totals(scopes.campaign(c._id)))),
    );
    res.json({ campaigns: views });
  });

  router.get('/:id', async (req, res) => {
    const campaign = await campaigns.get(req.params.id);
    if (!campaign) throw notFound(`no campaign with id ${req.params.id}`);
    res.json(campaignView(campaign, await counters.totals(scopes.campaign(campaign._id))));
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/:id/${action}`, async (req, res) => {
      const { reason } = parseBody(controlCampaignBody, req.body ?? {});
      const campaign = await campaigns.get(req.params.id);
      if (!campaign) throw notFound(`no campaign with id ${req.params.id}`);
      if (!ALLOWED_FROM[action].includes(campaign.state)) {
        throw conflict(`the campaign is ${campaign.state}; it cannot ${action}`);
      }
      try {
        await deps.temporal.controlCampaign(campaign._id, action, reason);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          throw conflict(`the campaign has finished; it cannot ${action}`);
        throw err;
      }
      // The workflow acts on it at once; GET shows the state it reached.
      res.status(202).json({ id: campaign._id, action, state: campaign.state });
    });
  }

  return router;
}
