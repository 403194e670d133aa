// Responses and errors in OpenAI's shape, the gateway's own; /v1/messages shapes its errors as Anthropic does.
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

/** What a chat body looks like, for the messages that say what to send. */
export const CHAT_BODY_HINT = { example: '{"model": "fast-chat", "messages": [{"role": "user", "content": "Hello"}]}', fields: '"model" and "messages"' };

/** Reads a JSON body up to `limit` bytes; over the limit answers 413 without buffering the rest. `hint` is the route's body shape. */
export function readJsonBody(req: IncomingMessage, limit: number, hint = CHAT_BODY_HINT): Promise<BodyResult> {
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
      if (text.trim() === '') return finish({ ok: false, status: 400, code: 'invalid_json', message: `The request body is empty. Send a JSON object such as ${hint.example}.` });
      if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
        return finish({ ok: false, status: 400, code: 'invalid_json', message: `The request body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep. Send a request with ${hint.fields}; no field needs that depth.` });
      }
      try {
        finish({ ok: true, value: JSON.parse(text) });
      } catch (error) {
        finish({ ok: false, status: 400, code: 'invalid_json', message: `The request body is not valid JSON (${(error as Error).message}). Send a JSON object with ${hint.fields}.` });
      }
    });
    req.on('error', () => finish({ ok: false, status: 400, code: 'bad_request', message: 'The request body could not be read.' }));
    req.on('aborted', () => finish({ ok: false, status: 400, code: 'bad_request', message: 'The client closed the request before sending its body.' }));
  });
}

/** Deeper bodies are refused before parsing: they block the event loop in JSON.parse and overflow the stack in JSON.stringify. */
export const MAX_JSON_DEPTH = 128;

/** Whether JSON text opens more than `max` nested arrays/objects; strings are skipped with indexOf. */
export function nestedDeeperThan(text: string, max: number): boolean {
  if (text.length <= 2 * max) return false; // each level needs two characters
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // Jump to the closing quote: one preceded by an even number of backslashes.
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q === -1) return false; // unterminated string: JSON.parse reports it
        let slashes = 0;
        while (text.charCodeAt(q - 1 - slashes) === 92 /* \ */) slashes++;
        i = q;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
  }
  return false;
}

function tooLarge(limit: number): BodyResult {
  return { ok: false, status: 413, code: 'request_too_large', message: `The request body is larger than the gateway's limit of ${limit} bytes. Send a smaller prompt, or start the gateway with a larger --max-body-bytes.` };
}

/** The socket took what was queued, or the client went away: a writer waits on this before writing more. */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
