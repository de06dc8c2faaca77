import { z } from 'zod';
import type { Address } from '../db/types';

const emailSchema = z.email();

/** "Name <email@x>" or "email@x" → Address; null if it is neither. */
export function parseAddress(text: string): Address | null {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(text);
  const email = (match ? match[2] : text).trim();
  if (!emailSchema.safeParse(email).success) return null;
  const name = match?.[1].replace(/^"|"$/g, '').trim();
  return name ? { email, name } : { email };
}
