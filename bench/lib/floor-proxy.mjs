// The floor: the least a Node proxy can do — read the body, forward it with undici, pipe the answer back.
// FLOOR_HEADERS=gateway makes it answer with the header set the gateway sends on a stream (content type
// with charset, cache-control and the four x-kt-* routing headers), so a benchmark can tell what those
// headers cost apart from the gateway's own work.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = process.env.UPSTREAM;
const pool = new Pool(upstream, { connections: null, pipelining: 1, keepAliveTimeout: 60_000, connect: { noDelay: true } });
const gatewayHeaders = process.env.FLOOR_HEADERS === 'gateway';

const server = createServer(async (req, res) => {
  const parts = [];
  for await (const part of req) parts.push(part);
  try {
    const up = await pool.request({ method: 'POST', path: req.url, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body: Buffer.concat(parts) });
    const type = up.headers['content-type'] ?? 'application/json';
    res.writeHead(up.statusCode, gatewayHeaders
      ? { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-cache', 'x-kt-resolved-model': 'bench-model', 'x-kt-provider': 'fast', 'x-kt-fallback-count': '0', 'x-kt-event-id': 'evt_0mwwo3pnf000760024a68b1c' }
      : { 'content-type': type });
    for await (const data of up.body) res.write(data);
    res.end();
  } catch (error) {
    res.writeHead(502);
    res.end(String(error));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
