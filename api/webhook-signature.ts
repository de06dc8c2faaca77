import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** SendGrid shows the key as base64 of the DER SubjectPublicKeyInfo. Throws if it is not a P-256 key. */
export function parsePublicKey(base64: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not an ECDSA P-256 public key');
  }
  return key;
}

/**
 * SendGrid signs SHA-256 of (timestamp + raw body) with ECDSA P-256, DER-encoded, base64.
 * Verified over the bytes exactly as received: re-serialised JSON would not match.
 */
export function verifySignature(
  key: KeyObject,
  rawBody: Buffer,
  signature: string,
  timestamp: string,
): boolean {
  try {
    return verify(
      'sha256',
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      key,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}
