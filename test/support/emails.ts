import { randomUUID } from 'node:crypto';
import type { ApiResponse, TestSystem } from './stack';
import { waitFor } from './wait';

/** A sandbox address with a unique +tag, so each test's recipient has its own history. */
export function address(localPart: string): string {
  return `${localPart}+${randomUUID().slice(0, 8)}@example.com`;
}

export function emailBody(to: string, extra: Record<string, unknown> = {}) {
  return { to, subject: 'Quarterly numbers', text: 'The numbers are in.', ...extra };
}

export async function sendEmail(
  sys: TestSystem,
  to: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await sys.call('POST', '/v1/emails', emailBody(to, extra));
  if (res.status !== 202)
    throw new Error(`POST /v1/emails answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Polls GET /v1/emails/:id until its status is one of `statuses`, and returns that view. */
export async function waitForStatus(
  sys: TestSystem,
  id: string,
  statuses: string[],
  timeoutMs = 30_000,
): Promise<ApiResponse['body']> {
  let last: unknown;
  try {
    return await waitFor(
      async () => {
        const res = await sys.call('GET', `/v1/emails/${id}`);
        last = res.body?.status;
        return statuses.includes(res.body?.status) ? res.body : undefined;
      },
      { timeoutMs, intervalMs: 100, message: `email ${id} to reach ${statuses.join('|')}` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last status: ${String(last)})`);
  }
}
