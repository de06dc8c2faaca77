import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';

/** A request to SendGrid gives up after this long; the send activity's attempts must outlast it. */
export const SENDGRID_TIMEOUT_MS = 20_000;

export interface SendGridOptions {
  apiKey: string;
  /** Base URL; SendGrid's own when absent, the sandbox's in development and tests. */
  apiUrl?: string;
}

/** A MailService of our own (not the module's singleton), pointed at the configured base URL. */
export function createSendGrid(options: SendGridOptions): MailService {
  const client = new Client();
  // setApiKey resets the base URL to SendGrid's region host, so the URL is set after it.
  client.setApiKey(options.apiKey);
  if (options.apiUrl) client.setDefaultRequest('baseUrl', options.apiUrl);
  client.setDefaultRequest('timeout' as never, SENDGRID_TIMEOUT_MS as never);
  const mail = new MailService();
  mail.setClient(client);
  return mail;
}
