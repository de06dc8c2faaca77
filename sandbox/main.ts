import { loadOrExit } from '../lib/env';
import { loadSandboxConfig } from './config';
import { startSandbox } from './server';

async function main(): Promise<void> {
  const config = loadOrExit(() => loadSandboxConfig(process.env));
  const sandbox = await startSandbox(config);
  const webhook = config.webhookUrl
    ? `posting events to ${config.webhookUrl}`
    : 'no SANDBOX_WEBHOOK_URL, events kept in memory';
  console.log(
    `SendGrid sandbox on ${sandbox.url} (${webhook}); SENDGRID_WEBHOOK_PUBLIC_KEY=${sandbox.publicKey}`,
  );

  const stop = (signal: NodeJS.Signals) => {
    console.log(`SendGrid sandbox: ${signal}, shutting down`);
    sandbox.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('SendGrid sandbox: shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('SendGrid sandbox failed to start:', err);
  process.exit(1);
});
