import net from 'node:net';

/**
 * A port the OS just called free. Another process may take it before the caller binds it; for local
 * dev and test servers that race is rare enough that a retry by hand beats coordinating ports.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error(`Could not read the port the OS chose on ${host}`));
      });
    });
  });
}
