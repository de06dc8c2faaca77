import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

export interface SigningKeyPair {
  /** base64 of the PKCS#8 DER private key: what SANDBOX_SIGNING_KEY holds. */
  privateKey: string;
  /** base64 of the DER SubjectPublicKeyInfo: the form SendGrid's settings page shows. */
  publicKey: string;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

/** Reads a base64 PKCS#8 DER key, insisting on P-256: any other key would sign what SendGrid never would. */
export function parseSigningKey(privateKeyBase64: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(privateKeyBase64, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('is not a base64 PKCS#8 DER private key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('is not an ECDSA P-256 (prime256v1) key');
  }
  return key;
}

export function publicKeyFor(privateKeyBase64: string): string {
  const key = createPublicKey(parseSigningKey(privateKeyBase64));
  return key.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** SendGrid's scheme: base64 DER ECDSA over SHA-256 of the timestamp text followed by the raw body bytes. */
export function signatureHeaders(key: KeyObject, body: Buffer, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), key).toString('base64');
  return { [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: timestamp };
}
