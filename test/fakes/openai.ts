// Fake OpenAI API (`/v1/chat/completions`, `/v1/embeddings`, `/v1/models`, Bearer auth).
import {
  argumentFragments,
  embeddingInputs,
  json,
  pieces,
  startFake,
  type Dialect,
  type EmbeddingPlan,
  type EmbeddingsScreen,
  type FakeUpstream,
  type RecordedRequest,
  type Reply,
  type ReplyPlan,
} from './fake-upstream';

export const FAKE_OPENAI_KEY = 'sk-fake-openai-0123456789abcdef';
const CREATED = 1_700_000_000;

export function openAIError(status: number, message: string, type: string, code: string | null, param: string | null = null): Reply {
  return json(status, { error: { message, type, param, code } }, { 'x-request-id': 'req_fake' });
}

/** OpenAI's own error for a status, as the real API words it. */
export function openAIStatusError(status: number, message: string | undefined, model: string): Reply {
  switch (status) {
    case 400: return openAIError(400, message ?? `This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.`, 'invalid_request_error', 'context_length_exceeded', 'messages');
    case 401: return openAIError(401, message ?? 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    case 404: return openAIError(404, message ?? `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
    case 429: return openAIError(429, message ?? `Rate limit reached for ${model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.`, 'requests', 'rate_limit_exceeded');
    case 503: return openAIError(503, message ?? 'The engine is currently overloaded, please try again later.', 'server_error', null);
    default:
      if (status >= 500) return openAIError(status, message ?? 'The server had an error while processing your request. Sorry about that!', 'server_error', null);
      return openAIError(status, message ?? `Request failed with status ${status}`, 'invalid_request_error', null);
  }
}

/** Mask a key the way OpenAI echoes it in a 401. */
function masked(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 4)}${'*'.repeat(12)}${key.slice(-4)}`;
}

/** Checks shared by every OpenAI-shaped fake: body present, model and messages, stream_options only with stream. */
export function validateChatBody(req: RecordedRequest, err: (status: number, message: string) => Reply): Reply | undefined {
  const body = req.body;
  if (!body || typeof body !== 'object') return err(400, 'We could not parse the JSON body of your request.');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return err(400, "Missing required parameter: 'messages'.");
  if (body.stream_options !== undefined && body.stream !== true) {
    return err(400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
  }
  return undefined;
}

/** text-embedding-3-small's length when `dimensions` is not given. */
export const FAKE_EMBEDDING_DIMENSIONS = 1536;

/** Checks of OpenAI's /embeddings (input shape, dimensions, encoding_format), then what to embed. */
export function screenEmbeddings(req: RecordedRequest, model: string, err: (status: number, message: string, param: string | null) => Reply): Reply | EmbeddingsScreen {
  const body = req.body;
  if (!body || typeof body !== 'object') return err(400, 'We could not parse the JSON body of your request.', null);
  const inputs = embeddingInputs(body.input);
  if (!inputs) return err(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null);
  if (inputs.length > 2048) return err(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", null);
  if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
    return err(400, `'${body.encoding_format}' is not one of ['float', 'base64'] - 'encoding_format'`, 'encoding_format');
  }
  const dims = body.dimensions;
  if (dims !== undefined && /ada-002/.test(model)) return err(400, 'This model does not support specifying dimensions.', null);
  if (dims !== undefined && (!Number.isInteger(dims) || dims < 1)) return err(400, `Invalid value for 'dimensions' = ${dims}. Must be at least 1.`, 'dimensions');
  return { embeddings: true, model, inputs, dimensions: dims ?? FAKE_EMBEDDING_DIMENSIONS };
}

/** OpenAI's embeddings list; base64 is the float32 bytes, little-endian, as the real API sends them. */
export function embeddingsBody(plan: EmbeddingPlan, req: RecordedRequest): Record<string, unknown> {
  const base64 = req.body?.encoding_format === 'base64';
  return {
    object: 'list',
    data: plan.vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v })),
    model: plan.model,
    usage: { prompt_tokens: plan.promptTokens, total_tokens: plan.promptTokens },
  };
}

interface ChunkStyle {
  id: string;
  /** Extra fields on every choice (Azure's content filter results). */
  choiceExtras?: Record<string, unknown>;
  /** Every chunk repeats the role (Ollama does). */
  roleOnEvery?: boolean;
  fingerprint?: string;
}

export function completionBody(plan: ReplyPlan, style: ChunkStyle): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: plan.toolCalls.length && !plan.text ? null : plan.text, refusal: null };
  if (plan.toolCalls.length) {
    message.tool_calls = plan.toolCalls.map((c, i) => ({ id: `call_fake_${i}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
  }
  return {
    id: style.id,
    object: 'chat.completion',
    created: CREATED,
    model: plan.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: plan.toolCalls.length ? 'tool_calls' : 'stop', ...style.choiceExtras }],
    usage: { prompt_tokens: plan.promptTokens, completion_tokens: plan.completionTokens, total_tokens: plan.promptTokens + plan.completionTokens },
    system_fingerprint: style.fingerprint ?? 'fp_fake',
  };
}

/** Chat completion chunks as OpenAI streams them, `[DONE]` last. */
export function chunkFrames(plan: ReplyPlan, req: RecordedRequest, style: ChunkStyle): string[] {
  const withUsage = req.body?.stream_options?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => {
    if (style.roleOnEvery && delta.role === undefined) delta = { role: 'assistant', ...delta };
    const c: Record<string, unknown> = {
      id: style.id, object: 'chat.completion.chunk', created: CREATED, model: plan.model, system_fingerprint: style.fingerprint ?? 'fp_fake',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish, ...style.choiceExtras }],
    };
    if (withUsage) c.usage = null;
    return `data: ${JSON.stringify(c)}\n\n`;
  };
  const frames = [chunk({ role: 'assistant', content: '', refusal: null })];
  if (plan.text) for (const p of pieces(plan.text)) frames.push(chunk({ content: p }));
  plan.toolCalls.forEach((call, index) => {
    frames.push(chunk({ tool_calls: [{ index, id: `call_fake_${index}`, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const f of argumentFragments(call.arguments)) frames.push(chunk({ tool_calls: [{ index, function: { arguments: f } }] }));
  });
  frames.push(chunk({}, plan.toolCalls.length ? 'tool_calls' : 'stop'));
  if (withUsage) {
    const usage = { prompt_tokens: plan.promptTokens, completion_tokens: plan.completionTokens, total_tokens: plan.promptTokens + plan.completionTokens };
    frames.push(`data: ${JSON.stringify({ id: style.id, object: 'chat.completion.chunk', created: CREATED, model: plan.model, system_fingerprint: style.fingerprint ?? 'fp_fake', choices: [], usage })}\n\n`);
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

export function openAIDialect(key: string): Dialect {
  return {
    screen(req) {
      if (req.method === 'GET' && req.path === '/v1/models') {
        return json(200, { object: 'list', data: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1'].map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'system' })) });
      }
      const embeddings = req.method === 'POST' && req.path === '/v1/embeddings';
      if (req.method !== 'POST' || (req.path !== '/v1/chat/completions' && !embeddings)) {
        return openAIError(404, `Invalid URL (${req.method} ${req.path})`, 'invalid_request_error', null);
      }
      const auth = req.headers.authorization;
      if (!auth) return openAIError(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error', null);
      const given = auth.replace(/^Bearer\s+/i, '');
      if (given !== key) return openAIError(401, `Incorrect API key provided: ${masked(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
      if (embeddings) {
        if (typeof req.body?.model !== 'string') return openAIError(400, 'you must provide a model parameter', 'invalid_request_error', null);
        return screenEmbeddings(req, req.body.model, (s, m, p) => openAIError(s, m, 'invalid_request_error', null, p));
      }
      const invalid = validateChatBody(req, (s, m) => openAIError(s, m, 'invalid_request_error', null));
      if (invalid) return invalid;
      if (typeof req.body.model !== 'string') return openAIError(400, 'you must provide a model parameter', 'invalid_request_error', null);
      return { chat: true, model: req.body.model, stream: req.body.stream === true };
    },
    error: (status, message, req) => openAIStatusError(status, message, String(req.body?.model ?? 'gpt-4o')),
    completion: (plan) => completionBody(plan, { id: 'chatcmpl-fake0001' }),
    streamFrames: (plan, req) => chunkFrames(plan, req, { id: 'chatcmpl-fake0001' }),
    streamError: () => `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } })}\n\n`,
    defaultReply: (model, last) => `Hello from fake OpenAI (${model}). You said: ${last}`,
    embeddings: embeddingsBody,
  };
}

export function startFakeOpenAI(opts: { key?: string } = {}): Promise<FakeUpstream> {
  return startFake(openAIDialect(opts.key ?? FAKE_OPENAI_KEY), '/v1');
}
