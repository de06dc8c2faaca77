import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { unauthorized } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Bearer-key check. Digests make every comparison the same length, so timingSafeEqual applies.
 * The matched key's short hash is left on `res.locals.keyScope` to scope idempotency keys per caller.
 */
export function requireApiKey(keys: string[]): RequestHandler {
  const known = keys.map((key) => ({ digest: digest(key), scope: digest(key).toString('hex').slice(0, 16) }));
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return next(unauthorized('missing Authorization: Bearer <api key> header'));
    const given = digest(match[1].trim());
    const found = known.find((key) => timingSafeEqual(key.digest, given));
    if (!found) return next(unauthorized('the API key is not valid'));
    res.locals.keyScope = found.scope;
    next();
  };
}
