// The hop splitter behind bench/gateway-ttft-hops.mjs, on perf script lines written out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error plain JavaScript module of the benchmarks, no declarations
import { HOPS, parsePerfScript, streamHops } from '../../bench/lib/perf-hops.mjs';

const pids = { client: 100, floor: 200, gateway: 300, upstream: 400 };

/** One perf script line; `seconds` is the timestamp perf prints. */
function line(pid: number, cpu: number, seconds: number, event: string, trace: string, tid = pid): string {
  return ` ${pid}/${tid}  [00${cpu}] ${seconds.toFixed(6)}:   ${event}: ${trace}`;
}
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const read = (pid: number, cpu: number, s: number, fd: number, bytes: number) => [
  line(pid, cpu, s - 0.000001, 'syscalls:sys_enter_read', `fd: ${hex(fd)}, buf: 0x7ffc0e160d70, count: 0x00010000`),
  line(pid, cpu, s, 'syscalls:sys_exit_read', `0x${bytes.toString(16)}`),
];
const writev = (pid: number, cpu: number, s: number, fd: number) => [line(pid, cpu, s, 'syscalls:sys_enter_writev', `fd: ${hex(fd)}, vec: 0x7ffc0e163d58, vlen: 0x00000002`)];
const wake = (pid: number, cpu: number, s: number) => [line(pid, cpu, s, 'syscalls:sys_enter_write', `fd: ${hex(17)}, buf: 0x02ce5870, count: 0x00000008`)];

/** A proxied stream starting at t seconds, each hop `stepMs` long; the proxy runs on `proxyCpu`. */
function proxied(proxy: number, t: number, stepMs: number, proxyCpu: number): string[] {
  const s = (k: number) => t + (k * stepMs) / 1000;
  return [
    ...writev(pids.client, 0, s(0), 24),
    ...wake(proxy, proxyCpu, s(0.5)), // libuv's eventfd: not a data write
    ...read(proxy, proxyCpu, s(1), 20, 305),
    ...writev(proxy, proxyCpu, s(2), 21),
    ...read(pids.upstream, 1, s(3), 30, 310),
    ...writev(pids.upstream, 1, s(4), 30),
    ...read(proxy, proxyCpu, s(5), 21, 385),
    ...writev(proxy, proxyCpu, s(6), 20),
    ...read(pids.client, 0, s(7), 24, 546),
    // later chunks of the same stream
    ...read(pids.upstream, 1, s(8), 30, 4),
    ...writev(pids.upstream, 1, s(9), 30),
    ...read(proxy, proxyCpu, s(10), 21, 201),
    ...writev(proxy, proxyCpu, s(11), 20),
    ...read(pids.client, 0, s(12), 24, 201),
  ];
}

test('splits each proxied stream into the seven hops of its first token and skips the later chunks', () => {
  const text = [
    ...writev(pids.client, 0, 1.0, 23), // direct: client -> upstream -> client
    ...read(pids.upstream, 1, 1.0002, 30, 242),
    ...writev(pids.upstream, 1, 1.0005, 30),
    ...read(pids.client, 0, 1.0006, 23, 546),
    ...proxied(pids.floor, 1.1, 0.1, 0),
    ...proxied(pids.gateway, 1.2, 0.2, 1),
    line(pids.gateway, 1, 1.3, 'syscalls:sys_enter_writev', `fd: ${hex(22)}, vec: 0x1, vlen: 0x1`, 301), // a worker thread
  ].join('\n');
  const hops = streamHops(parsePerfScript(text), pids, ['direct', 'floor', 'gateway']);
  assert.equal(hops.floor.length, 1);
  assert.equal(hops.gateway.length, 1);
  for (const hop of HOPS) {
    assert.ok(Math.abs(hops.floor[0].hops[hop.name] - 0.1) < 1e-6, `floor ${hop.name}: ${hops.floor[0].hops[hop.name]}`);
    assert.ok(Math.abs(hops.gateway[0].hops[hop.name] - 0.2) < 1e-6, `gateway ${hop.name}: ${hops.gateway[0].hops[hop.name]}`);
  }
  assert.ok(Math.abs(hops.gateway[0].total - 1.4) < 1e-6);
  // The floor shared vCPU 0 with the client, the upstream ran on 1; the gateway ran on 1 with the upstream.
  assert.deepEqual(hops.floor[0].crossed, { toProxy: false, proxyBefore: false, toUpstream: true, upstreamWork: false, toProxyAgain: true, proxyAfter: false, toClient: false });
  assert.deepEqual(hops.gateway[0].crossed, { toProxy: true, proxyBefore: false, toUpstream: false, upstreamWork: false, toProxyAgain: false, proxyAfter: false, toClient: true });
});

test('a trace that stops mid-stream keeps the whole streams before it', () => {
  const lines = [...proxied(pids.floor, 1.0, 0.1, 0), ...proxied(pids.gateway, 1.1, 0.1, 0).slice(0, 6)];
  const hops = streamHops(parsePerfScript(lines.join('\n')), pids, ['floor', 'gateway']);
  assert.equal(hops.floor.length, 1);
  assert.equal(hops.gateway.length, 0);
});

test('reads that failed with EAGAIN come as unsigned numbers and are not data', () => {
  const text = [line(pids.floor, 0, 1.0, 'syscalls:sys_enter_read', `fd: ${hex(20)}, buf: 0x1, count: 0x00010000`), line(pids.floor, 0, 1.0001, 'syscalls:sys_exit_read', '0xfffffffffffffff5')].join('\n');
  assert.deepEqual(parsePerfScript(text), []);
});
