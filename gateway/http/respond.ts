// OpenAI-shaped responses and errors: every answer the gateway gives a client looks like OpenAI's.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface OpenAIError { message: string; type: string; param: string | null; code: string | null }

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export function errorBody(message: string, type: string, code: string | null = null, param: string | null = null): { error: OpenAIError } {
  return { error: { message, type, param, code } };
}

export function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 502 || status === 504 ? 'upstream_error' : 'server_error';
  return 'invalid_request_error';
}

export function sendError(res: ServerResponse, status: number, message: string, code: string | null = null, param: string | null = null, headers: Record<string, string> = {}): void {
  sendJson(res, status, errorBody(message, typeForStatus(status), code, param), headers);
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; code: string; message: string };

/** Reads a JSON body up to `limit` bytes; over the limit answers 413 without buffering the rest. */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      resolve(tooLarge(limit));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        finish(tooLarge(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return finish({ ok: false, status: 400, code: 'invalid_json', message: 'The request body is empty. Send a JSON object such as {"model": "fast-chat", "messages": [{"role": "user", "content": "Hello"}]}.' });
      try {
        finish({ ok: true, value: JSON.parse(text) });
      } catch (error) {
        finish({ ok: false, status: 400, code: 'invalid_json', message: `The request body is not valid JSON (${(error as Error).message}). Send a JSON object with "model" and "messages".` });
      }
    });
    req.on('error', () => finish({ ok: false, status: 400, code: 'bad_request', message: 'The request body could not be read.' }));
    req.on('aborted', () => finish({ ok: false, status: 400, code: 'bad_request', message: 'The client closed the request before sending its body.' }));
  });
}

function tooLarge(limit: number): BodyResult {
  return { ok: false, status: 413, code: 'request_too_large', message: `The request body is larger than the gateway's limit of ${limit} bytes. Send a smaller prompt, or start the gateway with a larger --max-body-bytes.` };
}
