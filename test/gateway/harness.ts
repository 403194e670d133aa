// Starts a real gateway on 127.0.0.1:0 over a config written to a temp folder, with a real gateway key
// and the official openai SDK as the client.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Gateway, type GatewayOptions } from '../../gateway/http/server';
import { KeyStore } from '../../gateway/keys/key-store';
import type { DecisionEvent } from '../../gateway/events/decision-event';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  key: string;
  dir: string;
  configPath: string;
  client: OpenAI;
  /** Writes a new config (hot reload picks it up, or call gateway.reload()). */
  writeConfig(yaml: string): void;
  events(): DecisionEvent[];
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestGateway(yaml: string, options: Partial<GatewayOptions> & { keyGroups?: string[] } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-gw-'));
  const configPath = join(dir, 'policy-config.yaml');
  writeFileSync(configPath, yaml);
  const stateDir = join(dir, '.kt');
  const created = new KeyStore(stateDir).create({ name: 'test', groups: options.keyGroups ?? [], admin: true });
  if ('error' in created) throw new Error(created.error);
  const gateway = await Gateway.start({ configPath, stateDir, port: 0, watchConfig: false, env: {}, ...options });
  const url = gateway.url;
  return {
    gateway,
    url,
    key: created.key,
    dir,
    configPath,
    client: new OpenAI({ baseURL: `${url}/v1`, apiKey: created.key, maxRetries: 0, timeout: 20_000 }),
    writeConfig: (text) => writeFileSync(configPath, text),
    events: () => gateway.events?.query({ limit: 100_000 }).reverse() ?? [],
    post: (body, headers = {}) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.key}`, 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const hello = [{ role: 'user' as const, content: 'Hello' }];

/** A target block for a fake upstream. */
export function target(id: string, baseUrl: string, extra = ''): string {
  return `    - id: ${id}\n      provider:\n        base_url: ${baseUrl}\n        secret_key_ref:\n          env: ${id.toUpperCase().replace(/-/g, '_')}_KEY\n${extra}`;
}
