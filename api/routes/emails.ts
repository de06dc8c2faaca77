import { Router } from 'express';
import { acceptEmail, type AcceptDeps } from '../accept-email';
import { emailView } from '../email-view';
import { timelineOrder } from '../timeline';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { badRequest, conflict, notFound } from '../errors';
import { controlCampaignBody, encodeCursor, listEmailsQuery, parseBody, sendEmailBody } from '../schemas';

export function emailsRouter(deps: AcceptDeps): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const idempotencyKey = req.get('idempotency-key')?.trim() || undefined;
    if (idempotencyKey && idempotencyKey.length > 255) {
      throw badRequest('the request has invalid fields', [
        { field: 'Idempotency-Key', message: 'must be at most 255 characters' },
      ]);
    }
    const body = parseBody(sendEmailBody, req.body);
    const id = await acceptEmail(deps, {
      body,
      rawBody: req.body,
      idempotencyKey,
      keyScope: res.locals.keyScope as string,
    });
    res
      .status(202)
      .location(`${req.baseUrl}/${id}`)
      .json({ id, status: body.sendAt ? 'scheduled' : 'queued' });
  });

  router.get('/', async (req, res) => {
    const query = parseBody(listEmailsQuery, req.query);
    // One more than asked says whether another page follows.
    const page = await deps.stores.emails.page(query, query.limit + 1, query.cursor);
    const emails = page.slice(0, query.limit);
    res.json({
      emails: emails.map((e) => ({
        id: e._id,
        to: e.to.email,
        campaignId: e.campaignId,
        status: e.status,
        outcome: e.outcome,
        createdAt: e.createdAt.toISOString(),
        updatedAt: e.updatedAt.toISOString(),
      })),
      nextCursor: page.length > query.limit ? encodeCursor(emails[emails.length - 1]._id) : null,
    });
  });

  router.post('/:id/cancel', async (req, res) => {
    const { reason } = parseBody(controlCampaignBody, req.body ?? {});
    const email = await deps.stores.emails.get(req.params.id);
    if (!email) throw notFound(`no email with id ${req.params.id}`);
    let canceled: boolean;
    try {
      canceled = await deps.temporal.cancelEmail(email._id, reason ?? 'canceled by request');
    } catch (err) {
      // Not started (a campaign's email still waiting its turn), ended, or refused by the workflow's check.
      if (err instanceof WorkflowNotFoundError && email.campaignId && email.status === 'queued') {
        throw conflict(
          `the email waits its turn in campaign ${email.campaignId}: pause or cancel the campaign instead`,
        );
      }
      if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
        const now = await deps.stores.emails.get(email._id);
        throw conflict(`the email cannot be canceled: it is ${now?.status ?? email.status}`);
      }
      throw err;
    }
    if (!canceled) throw conflict('the email cannot be canceled: it was already handed to SendGrid');
    res.json({ id: email._id, status: 'canceled' });
  });

  router.get('/:id', async (req, res) => {
    const email = await deps.stores.emails.get(req.params.id);
    if (!email) throw notFound(`no email with id ${req.params.id}`);
    const events = await deps.stores.events.forEmail(email._id);
    res.json(emailView(email, timelineOrder(events)));
  });

  return router;
}
