// Turns `perf script -F pid,tid,cpu,time,event,trace` output of read/write syscalls into the hops of
// each streamed request (see bench/gateway-ttft-hops.mjs). Pure functions, tested in test/bench.

/** The proxied hops in the order a request's first token travels them. */
export const HOPS = [
  { name: 'toProxy', label: 'client write -> proxy read' },
  { name: 'proxyBefore', label: 'proxy read -> upstream write' },
  { name: 'toUpstream', label: 'proxy write -> upstream read' },
  { name: 'upstreamWork', label: 'upstream read -> upstream write' },
  { name: 'toProxyAgain', label: 'upstream write -> proxy read' },
  { name: 'proxyAfter', label: 'proxy read -> client write' },
  { name: 'toClient', label: 'proxy write -> client read' },
];

// Requests and answers are hundreds of bytes; smaller reads and writes are libuv waking its own loop
// through an eventfd (8 bytes) or the tail of a chunked body.
const DATA_BYTES = 64;

/**
 * Main-thread data reads (when they returned) and writes (when they were entered) per process, in time
 * order: { ms, pid, cpu, kind: 'read' | 'write', fd }.
 */
export function parsePerfScript(text) {
  const out = [];
  const readFd = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [pid, tid, cpu, ms, event, trace] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]) * 1000, m[5], m[6]];
    if (pid !== tid) continue; // worker threads (V8 platform, libuv pool) never touch the sockets
    if (event === 'syscalls:sys_enter_read') readFd.set(pid, fdOf(trace));
    else if (event === 'syscalls:sys_exit_read') {
      const bytes = BigInt.asIntN(64, BigInt(trace.trim().split(/\s/)[0])); // -EAGAIN comes as unsigned
      if (bytes >= BigInt(DATA_BYTES)) out.push({ ms, pid, cpu, kind: 'read', fd: readFd.get(pid) });
    } else if (event === 'syscalls:sys_enter_writev') out.push({ ms, pid, cpu, kind: 'write', fd: fdOf(trace) });
    else if (event === 'syscalls:sys_enter_write') {
      const count = /count: (0x[0-9a-f]+)/.exec(trace);
      if (count && parseInt(count[1], 16) >= DATA_BYTES) out.push({ ms, pid, cpu, kind: 'write', fd: fdOf(trace) });
    }
  }
  return out.sort((a, b) => a.ms - b.ms);
}

function fdOf(trace) {
  const m = /fd: (0x[0-9a-f]+)/.exec(trace);
  return m ? parseInt(m[1], 16) : undefined;
}

/**
 * Cuts the events into streams. `order` names the path of each stream the client ran, in turn
 * ('direct', 'floor' or 'gateway'); streams run one at a time, so each begins with the client's next
 * data write after the previous one reached its first read. Returns, per proxy, one entry per stream:
 * { hops: {name: ms}, crossed: {name: bool}, total: ms }.
 */
export function streamHops(events, pids, order) {
  const result = { floor: [], gateway: [] };
  let i = 0;
  const next = (from, pid, kind) => {
    for (let j = from; j < events.length; j++) if (events[j].pid === pid && events[j].kind === kind) return j;
    return -1;
  };
  for (const name of order) {
    const start = next(i, pids.client, 'write');
    if (start < 0) break;
    // The chain of a request's first token: who acts next, and how.
    const chain = name === 'direct'
      ? [[pids.upstream, 'read'], [pids.upstream, 'write'], [pids.client, 'read']]
      : [[pids[name], 'read'], [pids[name], 'write'], [pids.upstream, 'read'], [pids.upstream, 'write'], [pids[name], 'read'], [pids[name], 'write'], [pids.client, 'read']];
    const at = [start];
    for (const [pid, kind] of chain) {
      const j = next(at[at.length - 1] + 1, pid, kind);
      if (j < 0) return result;
      at.push(j);
    }
    const end = at[at.length - 1];
    // The client only reads during a stream, so its next data write is the next stream's request.
    i = end + 1;
    if (name === 'direct') continue;
    const stream = { hops: {}, crossed: {}, total: events[end].ms - events[start].ms };
    HOPS.forEach((hop, k) => {
      stream.hops[hop.name] = events[at[k + 1]].ms - events[at[k]].ms;
      stream.crossed[hop.name] = events[at[k + 1]].cpu !== events[at[k]].cpu;
    });
    result[name].push(stream);
  }
  return result;
}
