// A port on 127.0.0.1 that refuses connections for the whole test run.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A free port below the kernel's ephemeral range. listen(0), which every test server and gateway
 * uses, only hands out ports from that range. So, unlike a port that was free a moment ago, this one
 * cannot be given to a server started later in the run. Once, a gateway under test got such a port
 * and sent its "refused" upstream attempt to itself.
 */
export async function closedPort(): Promise<number> {
  for (let port = ephemeralLow() - 1; port > 1024; port--) if (await isFree(port)) return port;
  throw new Error('no free port below the ephemeral range on 127.0.0.1');
}

/** The range's low end on Linux; elsewhere the common default's (Linux 32768, macOS and Windows 49152). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 1025) return low;
  } catch {
    // not Linux
  }
  return 32768;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
