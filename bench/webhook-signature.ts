/**
 * `npm run bench:signature`: verifying one signed 100-event batch with Node's crypto (what the API does,
 * the key parsed once) against the official @sendgrid/eventwebhook (key converted once, as documented).
 */
import { EventWebhook } from '@sendgrid/eventwebhook';
import { parsePublicKey, verifySignature } from '../api/webhook-signature';
import {
  generateSigningKeyPair,
  parseSigningKey,
  signatureHeaders,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '../sandbox/signing';

const ROUNDS = 300;

function time(label: string, fn: () => boolean): number {
  for (let i = 0; i < 20; i++) fn(); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) if (!fn()) throw new Error(`${label}: a valid signature failed`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6 / ROUNDS;
  console.log(`${label.padEnd(26)} ${ms.toFixed(3)} ms per 100-event batch`);
  return ms;
}

const pair = generateSigningKeyPair();
const events = Array.from({ length: 100 }, (_, i) => ({
  email: `person${i}@example.com`,
  event: 'delivered',
  timestamp: 1_790_000_000 + i,
  sg_event_id: `event-${i}`,
  sg_message_id: `message-${i}.filterdrecv-1`,
  response: '250 OK',
  mailroom_email_id: `em_${i}`,
}));
const body = Buffer.from(JSON.stringify(events));
const headers = signatureHeaders(parseSigningKey(pair.privateKey), body);
const signature = headers[SIGNATURE_HEADER];
const timestamp = headers[TIMESTAMP_HEADER];

const key = parsePublicKey(pair.publicKey);
const ours = time('node:crypto (the API)', () => verifySignature(key, body, signature, timestamp));

const official = new EventWebhook();
const ecdsaKey = official.convertPublicKeyToECDSA(pair.publicKey);
const theirs = time('@sendgrid/eventwebhook', () =>
  official.verifySignature(ecdsaKey, body, signature, timestamp),
);

console.log(`batch ${body.length} bytes; node:crypto is ${(theirs / ours).toFixed(0)}x faster`);
