// The floor: the least a Node proxy can do — read the body, forward it with undici, pipe the answer back.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = process.env.UPSTREAM;
const pool = new Pool(upstream, { connections: null, pipelining: 1, keepAliveTimeout: 60_000, connect: { noDelay: true } });

const server = createServer(async (req, res) => {
  const parts = [];
  for await (const part of req) parts.push(part);
  try {
    const up = await pool.request({ method: 'POST', path: req.url, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body: Buffer.concat(parts) });
    res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] ?? 'application/json' });
    for await (const data of up.body) res.write(data);
    res.end();
  } catch (error) {
    res.writeHead(502);
    res.end(String(error));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
