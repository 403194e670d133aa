// Port checks done by binding, the only answer the operating system guarantees.
import { createServer } from 'node:net';

/** True when nothing listens on host:port (we could bind it ourselves). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** First free port at or after `from`, trying at most `attempts` ports. */
export async function nextFreePort(host: string, from: number, attempts = 50): Promise<number | undefined> {
  for (let port = from; port < from + attempts && port <= 65535; port++) {
    if (await isPortFree(host, port)) return port;
  }
  return undefined;
}
