import { Router } from 'express';
import type { Stores } from '../../db/connect';
import { parseBody, recipientQuery } from '../schemas';
import { suppressionView } from './suppressions';

/** What happened to mail for one person: their suppression entries and their latest emails. */
export function recipientsRouter(deps: { stores: Stores }): Router {
  const router = Router();

  router.get('/:email', async (req, res) => {
    const { email, limit } = parseBody(recipientQuery, { ...req.query, email: req.params.email });
    const [entries, emails] = await Promise.all([
      deps.stores.suppressions.forAddress(email),
      deps.stores.emails.recentTo(email, limit),
    ]);
    const global = entries.find((entry) => entry.groupId == null);
    res.json({
      email,
      suppression: {
        global: global ? suppressionView(global) : null,
        groups: entries.filter((entry) => entry.groupId != null).map(suppressionView),
      },
      emails: emails.map((doc) => ({
        id: doc._id,
        subject: doc.subject,
        status: doc.status,
        outcome: doc.outcome,
        createdAt: doc.createdAt.toISOString(),
      })),
    });
  });

  return router;
}
