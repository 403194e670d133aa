// The replicas recipe end to end: two `kt gateway start` processes on one config and one state dir,
// behind a real nginx (Debian's package, installed by scripts/setup-servers.sh) as the load balancer,
// with the official openai SDK as the client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { KeyStore } from '../../gateway/keys/key-store';
import { KT } from '../server/support/server-process';

const NGINX = process.env.KT_NGINX ?? '/usr/sbin/nginx';

const CONFIG = `providers:
  targets:
    - id: fast
      provider:
        type: mock
        base_url: mock://fast
    - id: steady
      provider:
        type: mock
        base_url: mock://steady
    - id: spare
      provider:
        type: mock
        base_url: mock://spare
policies:
  chain:
    - audit-logger
policy:
  audit-logger:
    immutable: true
    retention_days: 30
    log_all_access: false
model_groups:
  - name: chat
    strategy: weighted
    session_affinity: true
    models:
      - provider: fast
        model: mock-fast
        weight: 34
      - provider: steady
        model: mock-steady
        weight: 33
      - provider: spare
        model: mock-spare
        weight: 33
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `kt gateway start` and resolves with its URL once it prints the listening line. */
function startGateway(dir: string, replica: string, children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, [KT, 'gateway', 'start', '--config', join(dir, 'policy-config.yaml'), '--state-dir', join(dir, 'state'), '--port', '0', '--replica-id', replica], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.stderr!.on('data', (chunk) => { err += chunk; });
    child.once('exit', (code) => reject(new Error(`gateway ${replica} exited with ${code}: ${err}`)));
  });
}

function nginxConfig(dir: string, port: number, upstreams: string[]): string {
  const temp = (name: string) => join(dir, 'nginx', name);
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(temp(name), { recursive: true });
  return `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  upstream kt_gateways {
${upstreams.map((u) => `    server ${u.replace(/^http:\/\//, '')};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://kt_gateways;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
      add_header X-KT-Upstream $upstream_addr always;
    }
  }
}
`;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

test('two replicas behind nginx: both serve, affinity agrees, shared keys, one events file each, one view', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(NGINX), `nginx is not installed at ${NGINX}: run "bash scripts/setup-servers.sh" (Debian's nginx package), or set KT_NGINX`);
  const dir = mkdtempSync(join(tmpdir(), 'kt-nginx-'));
  const children: ChildProcess[] = [];
  try {
    writeFileSync(join(dir, 'policy-config.yaml'), CONFIG);
    const stateDir = join(dir, 'state');
    const admin = new KeyStore(stateDir).create({ name: 'ops', admin: true });
    assert.ok('key' in admin);
    const upstreams = await Promise.all([startGateway(dir, 'gw-a', children), startGateway(dir, 'gw-b', children)]);

    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, nginxConfig(dir, port, upstreams));
    const nginx = spawn(NGINX, ['-p', join(dir, 'nginx'), '-c', conf, '-e', join(dir, 'nginx', 'error.log')], { stdio: 'ignore' });
    children.push(nginx);
    await waitForPort(port);

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: admin.key, maxRetries: 0, timeout: 20_000 });
    const served = async (key: OpenAI, session?: string) => {
      const { data, response } = await key.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: `hello ${Math.random()}` }] }, { headers: session ? { 'x-session-id': session } : {} })
        .withResponse();
      return { model: data.model, upstream: response.headers.get('x-kt-upstream') ?? '', content: data.choices[0]!.message.content };
    };

    // Round robin: both replicas answer.
    const plain = [];
    for (let i = 0; i < 12; i++) plain.push(await served(client));
    const byUpstream = new Set(plain.map((p) => p.upstream));
    assert.equal(byUpstream.size, 2, `both replicas served: ${[...byUpstream].join(', ')}`);
    assert.ok(plain.every((p) => p.content && /Mock reply/.test(p.content)));

    // Session affinity: the same session lands on the same model whichever replica answers.
    for (const session of ['user-1', 'user-2', 'user-3', 'user-4']) {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push(await served(client, session));
      assert.equal(new Set(answers.map((a) => a.upstream)).size, 2, `session ${session} went through both replicas`);
      assert.equal(new Set(answers.map((a) => a.model)).size, 1, `session ${session} got one model on both replicas: ${answers.map((a) => `${a.upstream}→${a.model}`).join(', ')}`);
    }

    // A key created now (the keys file both replicas share) works on both; revoked, on neither.
    const created = new KeyStore(stateDir).create({ name: 'team' });
    assert.ok('key' in created);
    const team = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: created.key, maxRetries: 0, timeout: 20_000 });
    const teamAnswers = [await served(team), await served(team)];
    assert.equal(new Set(teamAnswers.map((a) => a.upstream)).size, 2, 'the new key was honoured by both replicas');
    new KeyStore(stateDir).revoke('team');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 401, 'revoked on every replica');
    }

    // One events file per replica, each its own chain; kt reads them all as one log.
    const requests = 12 + 16 + 2 + 2;
    const files = readdirSync(join(stateDir, 'events')).filter((f) => f.endsWith('.jsonl')).sort();
    assert.deepEqual(files.map((f) => f.replace(/\d{4}-\d{2}-\d{2}/, 'DAY')), ['events-gw-a-DAY.jsonl', 'events-gw-b-DAY.jsonl']);
    const stats = spawnSync(process.execPath, [KT, 'events', 'stats', '--state-dir', stateDir, '--by', 'model', '--output', 'json'], { encoding: 'utf8' });
    assert.equal(stats.status, 0, stats.stderr);
    const chat = JSON.parse(stats.stdout).buckets.find((b: { key: string }) => b.key === 'chat');
    assert.equal(chat.count, requests - 2, 'every request that reached a model group, from both replicas (the two 401s are not)');
    const verify = spawnSync(process.execPath, [KT, 'audit', 'verify', '--state-dir', stateDir], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout, /Audit chains intact: \d+ records over 2 replicas/);
    assert.match(verify.stdout, /gw-a: \d+ records/);

    // A third gateway with a replica id already running is refused, saying why.
    const third = spawnSync(process.execPath, [KT, 'gateway', 'start', '--config', join(dir, 'policy-config.yaml'), '--state-dir', stateDir, '--port', '0', '--replica-id', 'gw-a'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(third.status, 1);
    assert.match(third.stderr, /another gateway \(pid \d+, since .*\) writes the events of replica 'gw-a'.*--replica-id/);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
});
