import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createSandbox } from './app';
import type { SandboxConfig } from './config';

export interface RunningSandbox {
  /** Base URL for @sendgrid/client's `baseUrl`, e.g. http://127.0.0.1:3025 */
  url: string;
  port: number;
  /** base64 SPKI DER: the value for the API's SENDGRID_WEBHOOK_PUBLIC_KEY. */
  publicKey: string;
  close(): Promise<void>;
}

// Keep-alive clients (axios in @sendgrid/client) may hold sockets open; don't let them stall shutdown.
const FORCE_CLOSE_AFTER_MS = 2000;

export async function startSandbox(
  config: SandboxConfig,
  log: (line: string) => void = (line) => console.log(line),
): Promise<RunningSandbox> {
  const sandbox = createSandbox({ ...config, log });
  const server = sandbox.app.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    await sandbox.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    publicKey: sandbox.publicKey,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), FORCE_CLOSE_AFTER_MS).unref();
      await sandbox.close();
      await closed;
      clearTimeout(force);
    },
  };
}
