import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { isPortFree, nextFreePort } from '../../client/gateway/free-port';

test('a port someone listens on is busy, and nextFreePort skips it', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const busy = (server.address() as AddressInfo).port;
  try {
    assert.equal(await isPortFree('127.0.0.1', busy), false);
    const next = await nextFreePort('127.0.0.1', busy);
    assert.ok(next !== undefined && next > busy, `next=${next}`);
    assert.equal(await isPortFree('127.0.0.1', next!), true);
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(await isPortFree('127.0.0.1', busy), true);
});
