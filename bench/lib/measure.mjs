// Shared benchmark plumbing: child servers, percentiles, request loops over undici.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

export function startChild(args, env = {}) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${args.join(' ')}\n${output}`)), 15_000);
    child.stdout.on('data', (d) => {
      output += d;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], pid: child.pid });
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${output}`)));
  });
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const median = (values) => percentile(values, 50);

/**
 * 95% bootstrap interval of median(a) - median(b): how far sampling alone could move the difference.
 * Seeded, so a rerun on the same samples prints the same interval.
 */
export function medianDifferenceInterval(a, b, resamples = 1000) {
  const random = seededRandom(0x9e3779b9);
  const resample = (values) => Array.from(values, () => values[Math.floor(random() * values.length)]);
  const diffs = Array.from({ length: resamples }, () => median(resample(a)) - median(resample(b)));
  return [percentile(diffs, 2.5), percentile(diffs, 97.5)];
}

/** Numbers in [0, 1) from a fixed seed: the same sequence every run. */
export function seededRandom(seed) {
  return () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** Peak resident set size of a process, in MiB (Linux). */
export function peakRssMiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
  } catch {
    return NaN;
  }
}

// /proc/PID/stat counts CPU time in clock ticks; USER_HZ is 100 on Linux whatever the kernel's HZ.
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms (Linux). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

const benchMessages = [{ role: 'user', content: 'Hello, how are you today?' }];

/**
 * Chat completions requests to one server, plain and streamed: `model` defaults to the fake
 * upstream's own, `key` to the placeholder the upstream and the floor accept.
 */
export function chatTarget(url, model = 'bench-model', key = 'sk-bench', connections = 64) {
  return {
    client: pool(url, connections),
    path: '/v1/chat/completions',
    body: JSON.stringify({ model, messages: benchMessages }),
    streamBody: JSON.stringify({ model, stream: true, messages: benchMessages }),
    headers: { authorization: `Bearer ${key}` },
  };
}

/** Embeddings requests (one short input) to one server; `format` is the client's encoding_format. */
export function embeddingsTarget(url, format, model = 'bench-model', key = 'sk-bench') {
  return {
    client: pool(url),
    path: '/v1/embeddings',
    body: JSON.stringify({ model, input: 'The quick brown fox jumps over the lazy dog.', encoding_format: format }),
    headers: { authorization: `Bearer ${key}` },
  };
}

/** A non-streamed Anthropic Messages request, sent with x-api-key as the Anthropic SDK does. */
export function messagesTarget(url, model = 'bench-model', key = 'sk-bench') {
  return {
    client: pool(url),
    path: '/v1/messages',
    body: JSON.stringify({ model, max_tokens: 64, messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog.' }] }),
    headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
  };
}

export function pool(url, connections = 64) {
  return new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000, connect: { noDelay: true } });
}

export async function post(client, path, body, headers) {
  const started = performance.now();
  const res = await client.request({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
  return performance.now() - started;
}

/** Sequential requests: one latency per request. */
export async function latencies(target, count) {
  const out = [];
  for (let i = 0; i < count; i++) out.push(await post(target.client, target.path, target.body, target.headers));
  return out;
}

/**
 * `concurrency` loops for `seconds`: completed requests per second. With `pid`, also the CPU time
 * that process spent per request (ms).
 */
export async function throughputAndCpu(target, concurrency, seconds, pid) {
  const cpuBefore = cpuMs(pid);
  const rps = await throughput(target, concurrency, seconds);
  return { rps, cpuPerRequest: (cpuMs(pid) - cpuBefore) / (rps * seconds) };
}

/** `concurrency` loops for `seconds`: completed requests per second. */
export async function throughput(target, concurrency, seconds) {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await post(target.client, target.path, target.body, target.headers);
      done++;
    }
  }));
  return done / seconds;
}

/** One streamed request: time to first body byte and the gaps between later body reads. */
export async function streamTiming(target) {
  const started = performance.now();
  const res = await target.client.request({ method: 'POST', path: target.path, headers: { 'content-type': 'application/json', ...target.headers }, body: target.streamBody });
  let first;
  let last;
  const gaps = [];
  for await (const _ of res.body) {
    const now = performance.now();
    if (first === undefined) first = now - started;
    else gaps.push(now - last);
    last = now;
  }
  return { ttft: first, gaps };
}
