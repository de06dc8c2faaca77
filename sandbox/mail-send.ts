import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { errorBody, type FieldError } from './error-body';
import type { RateLimiter } from './rate-limit';
import type { RequestFaults } from './request-faults';
import { validateMailSend, type MailSend } from './validation';

/** One mail/send request as received, kept so tests can prove what did (or did not) reach "SendGrid". */
export interface ReceivedRequest {
  receivedAt: string;
  status: number;
  messageId: string | null;
  body: unknown;
}

export interface MailSendDeps {
  apiKey: string;
  faults: RequestFaults;
  /** The provider's cap on requests per second (SANDBOX_RATE_LIMIT); none when absent. */
  rateLimiter?: RateLimiter;
  record: (request: ReceivedRequest) => void;
  accepted: (mail: MailSend, messageId: string) => void;
}

const RATE_LIMIT = '600';

/** POST /v3/mail/send, in SendGrid's order: credentials, rate limit, JSON, validation, then the send itself. */
export function mailSendHandler({
  apiKey,
  faults,
  rateLimiter,
  record,
  accepted,
}: MailSendDeps): RequestHandler {
  return (req: Request, res: Response) => {
    const receivedAt = new Date().toISOString();
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let body: unknown = raw;
    const answer = (status: number, errors?: FieldError[], messageId: string | null = null) => {
      record({ receivedAt, status, messageId, body });
      if (errors) res.status(status).json(errorBody(errors));
      else res.status(status).end();
    };

    const auth = req.get('authorization');
    if (!auth) return answer(401, [{ message: 'authorization required', field: null }]);
    if (auth !== `Bearer ${apiKey}`) {
      return answer(401, [
        { message: 'The provided authorization grant is invalid, expired, or revoked', field: null },
      ]);
    }
    const rate = rateLimiter?.take();
    if (rate && !rate.allowed) {
      res.set({
        'X-RateLimit-Limit': String(rate.limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(rate.resetAt),
      });
      return answer(429, [{ message: 'too many requests', field: null }]);
    }
    try {
      body = JSON.parse(raw);
    } catch {
      return answer(400, [{ message: 'Bad Request', field: null }]);
    }
    const result = validateMailSend(body);
    if (!result.ok) return answer(400, result.errors);
    const { mail } = result;
    // SendGrid validates a sandbox-mode request fully, answers 200 and sends nothing.
    if (mail.mail_settings?.sandbox_mode?.enable === true) return answer(200);

    const fault = faults.check(recipientsOf(mail));
    if (fault?.kind === 'reject') {
      const field = fieldOf(mail, fault.address);
      return answer(400, [{ message: 'Does not contain a valid address.', field }]);
    }
    if (fault?.kind === 'throttle') {
      res.set({
        'X-RateLimit-Limit': RATE_LIMIT,
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(fault.resetAt),
      });
      return answer(429, [{ message: 'too many requests', field: null }]);
    }
    if (fault?.kind === 'error') return answer(500, [{ message: 'internal server error', field: null }]);

    const messageId = randomBytes(16).toString('base64url');
    res.set('X-Message-Id', messageId);
    answer(202, undefined, messageId);
    accepted(mail, messageId);
  };
}

export function recipientsOf(mail: MailSend): string[] {
  return mail.personalizations.flatMap((p) =>
    [...p.to, ...(p.cc ?? []), ...(p.bcc ?? [])].map((a) => a.email),
  );
}

function fieldOf(mail: MailSend, address: string): string | null {
  for (const [i, p] of mail.personalizations.entries()) {
    for (const kind of ['to', 'cc', 'bcc'] as const) {
      const j = (p[kind] ?? []).findIndex((a) => a.email === address);
      if (j >= 0) return `personalizations.${i}.${kind}.${j}.email`;
    }
  }
  return null;
}
