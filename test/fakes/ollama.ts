// Fake Ollama: the OpenAI-compatible /v1 API (key ignored, max_tokens only), the native probes
// `GET /`, `/api/version` and `/api/tags`, and native embeddings `POST /api/embed`.
import { json, startFake, type Dialect, type FakeUpstream, type Reply } from './fake-upstream';
import { chunkFrames, completionBody, validateChatBody } from './openai';

/** Ollama's OpenAI-compat error: type by status, no code. */
function ollamaError(status: number, message: string): Reply {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return json(status, { error: { message, type, param: null, code: null } });
}

/** Native API errors are a bare string: `{"error": "…"}`. */
function nativeError(status: number, message: string): Reply {
  return json(status, { error: message });
}

/** nomic-embed-text's length; /api/embed truncates to `dimensions` when asked. */
export const FAKE_OLLAMA_DIMENSIONS = 768;

/** `llama3.2` means `llama3.2:latest`. */
const tagged = (name: string) => (name.includes(':') ? name : `${name}:latest`);

export function ollamaDialect(models: string[]): Dialect {
  const pulled = new Set(models.map(tagged));
  const style = { id: 'chatcmpl-123', roleOnEvery: true, fingerprint: 'fp_ollama' };
  return {
    screen(req) {
      if (req.method === 'GET' && req.path === '/') return { status: 200, body: 'Ollama is running' };
      if (req.method === 'GET' && req.path === '/api/version') return json(200, { version: '0.5.1' });
      if (req.method === 'GET' && req.path === '/api/tags') {
        return json(200, {
          models: [...pulled].map((name) => ({
            name, model: name, modified_at: '2025-01-01T00:00:00Z', size: 4_920_753_328, digest: 'sha256:fake',
            details: { format: 'gguf', family: 'llama', parameter_size: '8.0B', quantization_level: 'Q4_K_M' },
          })),
        });
      }
      if (req.method === 'GET' && req.path === '/v1/models') {
        return json(200, { object: 'list', data: [...pulled].map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'library' })) });
      }
      if (req.method === 'POST' && req.path === '/api/embed') {
        const body = req.body;
        if (!body || typeof body !== 'object') return nativeError(400, 'invalid character looking for beginning of value');
        const model = String(body.model ?? '');
        if (!pulled.has(tagged(model))) return nativeError(404, `model "${model}" not found, try pulling it first`);
        const input = body.input;
        const inputs = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((x) => typeof x === 'string') ? (input as string[]) : undefined;
        if (!inputs) return nativeError(400, 'invalid input type');
        return { embeddings: true, model, inputs, dimensions: Number.isInteger(body.dimensions) ? body.dimensions : FAKE_OLLAMA_DIMENSIONS };
      }
      if (req.method !== 'POST' || req.path !== '/v1/chat/completions') return { status: 404, body: '404 page not found' };
      const invalid = validateChatBody(req, ollamaError);
      if (invalid) return invalid;
      const model = String(req.body.model ?? '');
      if (!pulled.has(tagged(model))) return ollamaError(404, `model "${model}" not found, try pulling it first`);
      return { chat: true, model, stream: req.body.stream === true };
    },
    error: (status, message, req) => req.path.startsWith('/api/')
      ? nativeError(status, message ?? (status === 404 ? `model "${req.body?.model}" not found, try pulling it first` : 'llama runner process has terminated'))
      : ollamaError(status, message ?? (status === 404 ? `model "${req.body?.model}" not found, try pulling it first` : 'llama runner process has terminated')),
    completion: (plan) => completionBody(plan, style),
    streamFrames: (plan, req) => chunkFrames(plan, req, style),
    streamError: () => `data: ${JSON.stringify({ error: { message: 'llama runner process has terminated', type: 'api_error', param: null, code: null } })}\n\n`,
    defaultReply: (model, last) => `Hello from fake Ollama (${model}). You said: ${last}`,
    // Durations are in nanoseconds; prompt_eval_count is the input tokens.
    embeddings: (plan) => ({ model: plan.model, embeddings: plan.vectors, total_duration: 14_143_917, load_duration: 1_019_500, prompt_eval_count: plan.promptTokens }),
  };
}

export function startFakeOllama(opts: { models?: string[] } = {}): Promise<FakeUpstream> {
  return startFake(ollamaDialect(opts.models ?? ['llama3.1:8b', 'llama3.2']), '/v1');
}
