/**
 * Which webhook events put an address on the suppression list, and why.
 * Drops are about the address only for these reasons; "Spam Content" is about the message, not the person.
 */
const ADDRESS_DROP_REASONS = new Set([
  'Invalid',
  'Bounced Address',
  'Spam Reporting Address',
  'Unsubscribed Address',
]);

export function suppressionReason(event: { event: string; type?: unknown; reason?: unknown }): string | null {
  switch (event.event) {
    case 'bounce':
      return event.type === 'bounce' ? 'hard bounce' : null;
    case 'dropped':
      return typeof event.reason === 'string' && ADDRESS_DROP_REASONS.has(event.reason)
        ? `dropped by SendGrid: ${event.reason}`
        : null;
    case 'spamreport':
      return 'spam report';
    case 'unsubscribe':
      return 'unsubscribed';
    default:
      return null;
  }
}
