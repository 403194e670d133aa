// Where the gateway's added time to first token goes, hop by hop (prints figures; not a test).
// Streams go to a fake upstream directly, through the floor proxy and through the gateway, interleaved
// and 5 ms apart as in bench/gateway.mjs, while `perf` records read/write syscalls and context switches
// of the client (this process), both proxies and the upstream. No process is instrumented. Each
// proxied stream is cut into seven hops, from the client's request write to the client's read of the
// first chunk:
//   client write -> proxy read        delivery and the proxy's wake-up
//   proxy read -> upstream write      the proxy's work before asking the upstream
//   upstream write -> upstream read   delivery and the upstream's wake-up
//   upstream read -> upstream write   the fake upstream's work
//   upstream write -> proxy read      delivery and the proxy's wake-up
//   proxy read -> client write        the proxy's work on the answer and its first chunk
//   client write -> client read       delivery and the client's wake-up
// For each hop it prints p25 / p50 / p75 for the floor and the gateway, and how many of the hops
// crossed to the other vCPU (a wake-up there costs 0.2-1 ms on these VMs, on the same one ~0.1 ms).
// What the client does after its read (undici parsing the head, the first body event) is the rest of
// the client-measured time to first token, printed last. There is one process per proxy, so a run's
// figures are one draw of the spread between processes that bench/gateway.mjs describes (up to 0.3 ms
// between two identical gateways): read where the time goes from it, judge targets with the benchmark.
// Needs Linux `perf` with tracepoint access (root, or kernel.perf_event_paranoid <= 1).
//   node bench/gateway-ttft-hops.mjs [--streams N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchRoutingConfig, startBenchGateway } from './lib/gateway-config.mjs';
import { chatTarget, median, percentile, startChild, streamTiming } from './lib/measure.mjs';
import { parsePerfScript, streamHops, HOPS } from './lib/perf-hops.mjs';

const streamsArg = process.argv.indexOf('--streams');
const STREAMS = streamsArg > 0 ? Number(process.argv[streamsArg + 1]) : 150;
const WARMUP = 50;
const PAUSE_MS = 5;

if (spawnSync('perf', ['--version']).status !== 0) {
  console.error('perf is not installed: on Debian, apt-get install linux-perf; then run this again as root.');
  process.exit(2);
}
if (!existsSync('dist/kt.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'kt-hops-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const upstream = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '0', UPSTREAM_CHUNK_GAP_MS: '2' });
children.push(upstream);
const floor = await startChild(['bench/lib/floor-proxy.mjs'], { UPSTREAM: upstream.url });
children.push(floor);
const gateway = await startBenchGateway(join(dir, 'gw'), benchRoutingConfig([{ group: 'bench', target: 'fast', url: upstream.url }]));
children.push(gateway);

const paths = {
  direct: chatTarget(upstream.url),
  floor: chatTarget(floor.url),
  gateway: chatTarget(gateway.url, 'bench', gateway.key),
};
const ttft = { direct: [], floor: [], gateway: [] };
const order = [];
async function rotate(count, keep) {
  for (let i = 0; i < count; i++) {
    for (const [name, target] of Object.entries(paths)) {
      await sleep(PAUSE_MS);
      if (keep) order.push(name);
      const t = await streamTiming(target);
      if (keep) ttft[name].push(t.ttft);
    }
  }
}
await rotate(WARMUP, false);

const data = join(dir, 'perf.data');
const pids = { client: process.pid, floor: floor.pid, gateway: gateway.pid, upstream: upstream.pid };
const events = 'syscalls:sys_enter_read,syscalls:sys_exit_read,syscalls:sys_enter_write,syscalls:sys_enter_writev,sched:sched_switch';
const perf = spawn('perf', ['record', '-q', '-o', data, '-p', Object.values(pids).join(','), '-e', events], { stdio: 'ignore' });
await sleep(1500); // perf attaches
await rotate(STREAMS, true);
perf.kill('SIGINT');
await new Promise((r) => perf.on('exit', r));
const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,tid,cpu,time,event,trace'], { encoding: 'utf8', maxBuffer: 1 << 30 });
const hops = streamHops(parsePerfScript(script.stdout), pids, order);

const fmt = (n) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const quartiles = (v) => `${fmt(percentile(v, 25))} / ${fmt(median(v))} / ${fmt(percentile(v, 75))}`;
console.log(`# gateway time to first token, hop by hop — ${new Date().toISOString()}, node ${process.version}, ${STREAMS} streams per path after ${WARMUP} warm-up streams, ${PAUSE_MS} ms apart`);
console.log(`streams traced: floor ${hops.floor.length}, gateway ${hops.gateway.length}; ms, p25 / p50 / p75; "other vCPU" counts hops whose two ends ran on different vCPUs`);
console.log(`${'hop'.padEnd(32)} ${'floor'.padStart(21)}  ${'other vCPU'.padStart(10)}  ${'gateway'.padStart(21)}  ${'other vCPU'.padStart(10)}  gateway - floor (p50)`);
const row = (label, f, g, fc = '', gc = '') => console.log(`${label.padEnd(32)} ${quartiles(f).padStart(21)}  ${String(fc).padStart(10)}  ${quartiles(g).padStart(21)}  ${String(gc).padStart(10)}  ${fmt(median(g) - median(f)).padStart(8)}`);
for (const hop of HOPS) {
  const f = hops.floor.map((s) => s.hops[hop.name]);
  const g = hops.gateway.map((s) => s.hops[hop.name]);
  const crossed = (list) => list.filter((s) => s.crossed[hop.name]).length;
  row(hop.label, f, g, crossed(hops.floor), crossed(hops.gateway));
}
row('client write -> client read', hops.floor.map((s) => s.total), hops.gateway.map((s) => s.total));
row('time to first token (client)', ttft.floor, ttft.gateway);
process.exit(0);
