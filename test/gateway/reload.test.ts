// Hot reload: a clean config takes over for new requests; a broken one is refused and the last good one serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeOpenAI, FAKE_OPENAI_KEY } from '../fakes';
import { startTestGateway, hello, target } from './harness';

const config = (model: string) => `providers:
  targets:
    - id: local
      provider:
        type: mock
        base_url: mock://local
model_groups:
  - name: chat
    models:
      - provider: local
        model: ${model}
`;

test('a clean edit is picked up from the file by the watcher; a broken one keeps the last good config', async () => {
  const gw = await startTestGateway(config('first-model'), { watchConfig: true });
  try {
    assert.equal((await gw.client.chat.completions.create({ model: 'chat', messages: hello })).model, 'first-model');
    gw.writeConfig(config('second-model'));
    await waitFor(async () => (await gw.client.chat.completions.create({ model: 'chat', messages: hello })).model === 'second-model');

    gw.writeConfig(config('third-model').replace('provider: local', 'provider: locl'));
    await new Promise((r) => setTimeout(r, 400));
    const r = await gw.client.chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(r.model, 'second-model', 'a config with lint errors is not applied');
    const result = gw.gateway.reload();
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.diagnostics.some((d) => d.code === 'KT101'));
  } finally {
    await gw.close();
  }
});

test('requests in flight during a reload finish on the config they started with', async () => {
  const upstream = await startFakeOpenAI();
  const viaFake = (model: string) => `providers:\n  targets:\n${target('up', upstream.baseUrl)}model_groups:\n  - name: chat\n    models:\n      - provider: up\n        model: ${model}\n`;
  const gw = await startTestGateway(viaFake('old-model'), { env: { UP_KEY: FAKE_OPENAI_KEY } });
  try {
    upstream.setBehavior({ delayMs: 300, times: 1 });
    const inFlight = gw.client.chat.completions.create({ model: 'chat', messages: hello });
    await waitFor(async () => upstream.requests.length === 1);
    gw.writeConfig(viaFake('new-model'));
    assert.equal(gw.gateway.reload().ok, true);
    const fresh = await gw.client.chat.completions.create({ model: 'chat', messages: hello });
    assert.equal(fresh.model, 'new-model');
    assert.equal((await inFlight).model, 'old-model');
  } finally {
    await gw.close();
    await upstream.close();
  }
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('condition not met in time');
}
