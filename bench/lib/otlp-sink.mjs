// Benchmark OTLP collector: a child process that takes OTLP/HTTP posts (/v1/traces, /v1/logs) and answers
// 200 with an empty protobuf response, decoding nothing: what the gateway pays for export, not a collector.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
