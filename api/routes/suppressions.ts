import { Router } from 'express';
import type { Stores } from '../../db/connect';
import type { SuppressionDoc } from '../../db/types';
import { notFound } from '../errors';
import {
  encodeCursor,
  listSuppressionsQuery,
  parseBody,
  putSuppressionBody,
  suppressionTarget,
} from '../schemas';

/** The API's representation of a suppression entry, dates as ISO strings. */
export function suppressionView(entry: SuppressionDoc) {
  return {
    email: entry.email,
    reason: entry.reason,
    groupId: entry.groupId ?? null,
    emailId: entry.emailId ?? null,
    event: entry.event ?? null,
    createdAt: entry.createdAt.toISOString(),
    expiresAt: entry.expiresAt?.toISOString() ?? null,
  };
}

const describeTarget = (email: string, groupId: number | null) =>
  groupId === null ? email : `${email} in group ${groupId}`;

/** The suppression list: read it page by page, look up, add and remove entries by hand. */
export function suppressionsRouter(deps: { stores: Stores }): Router {
  const router = Router();
  const { suppressions } = deps.stores;

  router.get('/', async (req, res) => {
    const query = parseBody(listSuppressionsQuery, req.query);
    // One more than asked says whether another page follows.
    const entries = await suppressions.page({
      reason: query.reason,
      after: query.cursor,
      limit: query.limit + 1,
    });
    const items = entries.slice(0, query.limit);
    const nextCursor = entries.length > query.limit ? encodeCursor(items[items.length - 1]._id) : null;
    res.json({ items: items.map(suppressionView), nextCursor });
  });

  router.get('/:email', async (req, res) => {
    const { email, groupId = null } = parseBody(suppressionTarget, { ...req.query, email: req.params.email });
    const entry = await suppressions.getEntry(email, groupId);
    if (!entry) throw notFound(`${describeTarget(email, groupId)} is not on the suppression list`);
    res.json(suppressionView(entry));
  });

  router.put('/:email', async (req, res) => {
    const { email } = parseBody(suppressionTarget, { email: req.params.email });
    const body = parseBody(putSuppressionBody, req.body);
    const { entry, created } = await suppressions.put({
      email,
      groupId: body.groupId ?? null,
      reason: body.reason,
      emailId: null,
      event: null,
      createdAt: new Date(),
      expiresAt: body.expiresAt ?? null,
    });
    res.status(created ? 201 : 200).json(suppressionView(entry));
  });

  router.delete('/:email', async (req, res) => {
    const { email, groupId = null } = parseBody(suppressionTarget, { ...req.query, email: req.params.email });
    if (!(await suppressions.remove(email, groupId))) {
      throw notFound(`${describeTarget(email, groupId)} is not on the suppression list`);
    }
    res.status(204).end();
  });

  return router;
}
