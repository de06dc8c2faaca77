import { Router } from 'express';
import { acceptEmail, type AcceptDeps } from '../accept-email';
import { emailView } from '../email-view';
import { timelineOrder } from '../timeline';
import { badRequest, notFound } from '../errors';
import { parseBody, sendEmailBody } from '../schemas';

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
    res.status(202).location(`${req.baseUrl}/${id}`).json({ id, status: 'queued' });
  });

  router.get('/:id', async (req, res) => {
    const email = await deps.stores.emails.get(req.params.id);
    if (!email) throw notFound(`no email with id ${req.params.id}`);
    const events = await deps.stores.events.forEmail(email._id);
    res.json(emailView(email, timelineOrder(events)));
  });

  return router;
}
