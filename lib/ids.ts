import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Time-ordered ids ("em_" + 10 chars of milliseconds + 12 random), so ids sort by creation. */
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  const random = Array.from(randomBytes(12), (byte) => ALPHABET[byte % 32]).join('');
  return `${prefix}_${time}${random}`;
}
