// Where the gateway's added time to first token goes (prints figures; not a test). Streams go to a
// fake upstream directly, through the floor proxy and through the gateway, interleaved as in
// bench/gateway.mjs, while `perf` records three kernel tracepoints of the two proxies. Per stream it
// reports, for each proxy and with no instrumentation in either, its two on-CPU windows and the wait
// between them:
//   request read -> upstream request written   (parse, check, plan, build the upstream request)
//   upstream request written -> answer read    (upstream wake-up and work, this proxy's wake-up)
//   upstream answer read -> first chunk written to the client
// Needs Linux `perf` with tracepoint access (root, or kernel.perf_event_paranoid <= 1).
//   node bench/gateway-cpu-windows.mjs [--streams N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchRoutingConfig } from './lib/gateway-config.mjs';
import { median, percentile, pool, startChild, streamTiming } from './lib/measure.mjs';

const streamsArg = process.argv.indexOf('--streams');
const STREAMS = streamsArg > 0 ? Number(process.argv[streamsArg + 1]) : 200;
const WARMUP = 50;

if (spawnSync('perf', ['--version']).status !== 0) {
  console.error('perf is not installed: on Debian, apt-get install linux-perf; then run this again as root.');
  process.exit(2);
}
if (!existsSync('dist/kt.js')) spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });

const dir = mkdtempSync(join(tmpdir(), 'kt-windows-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const upstream = await startChild(['bench/lib/upstream.mjs'], { UPSTREAM_DELAY_MS: '0', UPSTREAM_CHUNK_GAP_MS: '2' });
children.push(upstream);
const floor = await startChild(['bench/lib/floor-proxy.mjs'], { UPSTREAM: upstream.url });
children.push(floor);
mkdirSync(join(dir, 'gw'));
writeFileSync(join(dir, 'gw', 'policy-config.yaml'), benchRoutingConfig([{ group: 'bench', target: 'fast', url: upstream.url }]));
const gateway = await startChild(['dist/kt.js', 'gateway', 'start', '--config', join(dir, 'gw', 'policy-config.yaml'), '--port', '0'], { BENCH_KEY: 'sk-bench-0123456789' });
children.push(gateway);
const key = readFileSync(join(dir, 'gw', '.kt', 'dev-key'), 'utf8').trim();

const messages = [{ role: 'user', content: 'Hello, how are you today?' }];
const path = (url, model, authorization) => ({ client: pool(url), path: '/v1/chat/completions', streamBody: JSON.stringify({ model, stream: true, messages }), headers: { authorization } });
const paths = {
  direct: path(upstream.url, 'bench-model', 'Bearer sk-bench'),
  floor: path(floor.url, 'bench-model', 'Bearer sk-bench'),
  gateway: path(gateway.url, 'bench', `Bearer ${key}`),
};
const ttft = { direct: [], floor: [], gateway: [] };
async function rotate(count, keep) {
  for (let i = 0; i < count; i++) {
    for (const [name, target] of Object.entries(paths)) {
      const t = await streamTiming(target);
      if (keep) ttft[name].push(t.ttft);
    }
  }
}
await rotate(WARMUP, false);

const data = join(dir, 'perf.data');
const perf = spawn('perf', ['record', '-q', '-o', data, '-p', `${floor.pid},${gateway.pid}`, '-e', 'syscalls:sys_enter_read,syscalls:sys_exit_read,syscalls:sys_enter_writev,sched:sched_switch'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 1000)); // perf attaches
await rotate(STREAMS, true);
perf.kill('SIGINT');
await new Promise((r) => perf.on('exit', r));
const script = spawnSync('perf', ['script', '-i', data, '-F', 'tid,time,event,trace'], { encoding: 'utf8', maxBuffer: 1 << 30 });

/** Per proxy: on-CPU windows from the request read to the upstream write, and from the answer read to the first client write. */
function windows(pid) {
  const out = { toUpstream: [], upstreamWait: [], toClient: [], preempted: 0 };
  let state = 'idle';
  let clientFd;
  let upstreamFd;
  let readFd;
  let started = 0;
  let preempted = false;
  for (const line of script.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$/.exec(line);
    if (!m || Number(m[1]) !== pid) continue;
    const ms = Number(m[2]) * 1000;
    const [event, trace] = [m[3], m[4]];
    if (event === 'syscalls:sys_enter_read') readFd = parseInt(/fd: (0x[0-9a-f]+)/.exec(trace)[1], 16);
    else if (event === 'syscalls:sys_exit_read') {
      const bytes = BigInt.asIntN(64, BigInt(trace.trim().split(/\s/)[0])); // -EAGAIN comes as unsigned
      if (bytes <= 0n) continue;
      // A request is hundreds of bytes; 8-byte reads are libuv waking itself through an eventfd.
      if (readFd !== upstreamFd && bytes >= 64n && (state === 'idle' || state === 'streaming')) {
        [state, clientFd, started, preempted] = ['request', readFd, ms, false];
      } else if (readFd === upstreamFd && state === 'waiting') {
        out.upstreamWait.push(ms - started);
        [state, started] = ['answer', ms];
      }
    } else if (event === 'syscalls:sys_enter_writev') {
      const fd = parseInt(/fd: (0x[0-9a-f]+)/.exec(trace)[1], 16);
      if (state === 'request' && fd !== clientFd) {
        out.toUpstream.push(ms - started);
        [state, upstreamFd, started] = ['waiting', fd, ms];
      } else if (state === 'answer' && fd === clientFd) {
        out.toClient.push(ms - started);
        if (preempted) out.preempted++;
        state = 'streaming';
      }
    } else if (event === 'sched:sched_switch' && (state === 'request' || state === 'answer') && trace.includes(`prev_pid=${pid} `) && trace.includes('prev_state=R')) preempted = true;
  }
  return out;
}

const fmt = (n) => (Number.isFinite(n) ? n.toFixed(3) : 'n/a');
const quartiles = (v) => `${fmt(percentile(v, 25))} / ${fmt(median(v))} / ${fmt(percentile(v, 75))}`;
console.log(`# gateway CPU windows — ${new Date().toISOString()}, node ${process.version}, ${STREAMS} streams per path after ${WARMUP} warm-up streams`);
console.log('ms, p25 / p50 / p75');
console.log('proxy     streams  request -> upstream write  upstream write -> answer read  answer -> client write  preempted in a window  client ttft p50');
const result = {};
for (const [name, pid] of [['floor', floor.pid], ['gateway', gateway.pid]]) {
  const w = (result[name] = windows(pid));
  console.log(`${name.padEnd(9)} ${String(w.toClient.length).padStart(7)}  ${quartiles(w.toUpstream).padStart(25)}  ${quartiles(w.upstreamWait).padStart(29)}  ${quartiles(w.toClient).padStart(22)}  ${String(w.preempted).padStart(21)}  ${fmt(median(ttft[name])).padStart(15)}`);
}
const more = (k) => median(result.gateway[k]) - median(result.floor[k]);
console.log(`gateway - floor: ${fmt(more('toUpstream'))} ms before the upstream write, ${fmt(more('upstreamWait'))} ms waiting for the upstream, ${fmt(more('toClient'))} ms after the answer; client time to first token ${fmt(median(ttft.gateway) - median(ttft.floor))} ms`);
process.exit(0);
