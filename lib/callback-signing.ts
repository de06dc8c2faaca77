/**
 * Signatures on outcome callbacks: HMAC-SHA256 over `${timestamp}.${rawBody}` with the shared secret,
 * sent as `X-Mailroom-Signature: v1=<hex>` next to `X-Mailroom-Timestamp: <unix seconds>`.
 * The README gives receivers the same check in ten lines of node:crypto.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Mailroom-Timestamp';
export const SIGNATURE_HEADER = 'X-Mailroom-Signature';
/** Receivers should refuse a timestamp further than this from their clock, either way. */
export const MAX_AGE_SECONDS = 5 * 60;

export function sign(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** The two headers for a body sent now. */
export function signatureHeaders(
  secret: string,
  rawBody: string,
  nowMs = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: sign(secret, timestamp, rawBody) };
}

export function verify(
  secret: string,
  rawBody: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  nowMs = Date.now(),
): boolean {
  const timestamp = Number(timestampHeader);
  if (!timestampHeader || !Number.isInteger(timestamp) || !signatureHeader) return false;
  if (Math.abs(nowMs / 1000 - timestamp) > MAX_AGE_SECONDS) return false;
  const expected = Buffer.from(sign(secret, timestamp, rawBody));
  const given = Buffer.from(signatureHeader);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
