import { BENCH_API_KEY } from './stack';

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench reads whatever the API answered
  body: any;
  ms: number;
}

/** One API call with the bench's key; `body` is sent as is when already a string. */
export async function call(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${BENCH_API_KEY}`,
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body:
      body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    ...(timeoutMs && { signal: AbortSignal.timeout(timeoutMs) }),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body: parsed, ms };
}

/** Throws with what the API said unless it answered `status`. */
export function expectStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) {
    const said = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    throw new Error(`${what}: expected ${status}, got ${answer.status}: ${said.slice(0, 500)}`);
  }
  return answer;
}
