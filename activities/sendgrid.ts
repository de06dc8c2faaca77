import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';

export interface SendGridOptions {
  apiKey: string;
  /** Base URL; SendGrid's own when absent, the sandbox's in development and tests. */
  apiUrl?: string;
  timeoutMs?: number;
}

/** A MailService of our own (not the module's singleton), pointed at the configured base URL. */
export function createSendGrid(options: SendGridOptions): MailService {
  const client = new Client();
  // setApiKey resets the base URL to SendGrid's region host, so the URL is set after it.
  client.setApiKey(options.apiKey);
  if (options.apiUrl) client.setDefaultRequest('baseUrl', options.apiUrl);
  client.setDefaultRequest('timeout' as never, (options.timeoutMs ?? 20_000) as never);
  const mail = new MailService();
  mail.setClient(client);
  return mail;
}
