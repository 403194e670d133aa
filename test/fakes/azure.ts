// Fake Azure OpenAI: deployment URLs (chat/completions and embeddings) with api-version, the v1 form, `api-key` auth, string error codes,
// content-filter annotations and the prompt-filter-only first stream chunk.
import { json, startFake, type Dialect, type FakeUpstream, type Reply } from './fake-upstream';
import { chunkFrames, completionBody, embeddingsBody, screenEmbeddings, validateChatBody } from './openai';

export const FAKE_AZURE_KEY = 'fake-azure-key-0123456789abcdef';

const FILTER_OK = {
  hate: { filtered: false, severity: 'safe' },
  self_harm: { filtered: false, severity: 'safe' },
  sexual: { filtered: false, severity: 'safe' },
  violence: { filtered: false, severity: 'safe' },
};

function azureError(status: number, code: string, message: string): Reply {
  return json(status, { error: { code, message } }, { 'apim-request-id': 'fake-apim-id' });
}

function statusError(status: number, message: string | undefined): Reply {
  switch (status) {
    case 401: return azureError(401, '401', message ?? 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
    case 404: return azureError(404, 'DeploymentNotFound', message ?? 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');
    case 429: return azureError(429, '429', message ?? 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds.');
    case 400: return azureError(400, 'BadRequest', message ?? 'Invalid request.');
    default: return azureError(status, String(status), message ?? (status >= 500 ? 'The service is temporarily unable to process your request. Please try again later.' : `Request failed with status ${status}`));
  }
}

export function azureDialect(key: string, deployments: string[]): Dialect {
  const style = { id: 'chatcmpl-azurefake01', choiceExtras: { content_filter_results: FILTER_OK } };
  return {
    screen(req) {
      const dep = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(req.path);
      const v1 = /^\/openai\/v1\/(chat\/completions|embeddings)$/.exec(req.path);
      if (req.method !== 'POST' || (!dep && !v1)) return azureError(404, '404', 'Resource not found');
      if (dep && !req.query['api-version']) return azureError(404, '404', 'Resource not found');
      if (req.headers['api-key'] !== key) return statusError(401, undefined);
      if ((dep ?? v1)![(dep ? 2 : 1)] === 'embeddings') {
        const deployment = dep ? decodeURIComponent(dep[1]) : req.body?.model;
        if (!deployments.includes(deployment)) return statusError(404, undefined);
        return screenEmbeddings(req, deployment, (s, m) => azureError(s, 'BadRequest', m));
      }
      const invalid = validateChatBody(req, (s, m) => azureError(s, 'BadRequest', m));
      if (invalid) return invalid;
      const deployment = dep ? decodeURIComponent(dep[1]) : req.body.model;
      if (!deployments.includes(deployment)) return statusError(404, undefined);
      return { chat: true, model: deployment, stream: req.body.stream === true };
    },
    error: (status, message) => statusError(status, message),
    completion(plan) {
      return {
        ...completionBody(plan, style),
        prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_OK }],
      };
    },
    streamFrames(plan, req) {
      const frames = chunkFrames(plan, req, style);
      // Azure opens with prompt-filter results and no choices, and interleaves annotation-only chunks.
      const promptFilter = { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_OK }] };
      const annotation = {
        choices: [{ content_filter_offsets: { check_offset: 0, start_offset: 0, end_offset: 20 }, content_filter_results: FILTER_OK, finish_reason: null, index: 0 }],
        created: 1_700_000_000, id: style.id, model: plan.model, object: 'chat.completion.chunk',
      };
      frames.unshift(`data: ${JSON.stringify(promptFilter)}\n\n`);
      frames.splice(3, 0, `data: ${JSON.stringify(annotation)}\n\n`);
      return frames;
    },
    streamError: () => `data: ${JSON.stringify({ error: { code: '500', message: 'The service is temporarily unable to process your request.' } })}\n\n`,
    defaultReply: (model, last) => `Hello from fake Azure (${model}). You said: ${last}`,
    embeddings: embeddingsBody,
  };
}

/** baseUrl is the deployment form for the first deployment; `v1BaseUrl` the v1 form. */
export async function startFakeAzure(opts: { key?: string; deployments?: string[] } = {}): Promise<FakeUpstream & { v1BaseUrl: string }> {
  const deployments = opts.deployments ?? ['gpt-4o', 'gpt-4o-mini'];
  const fake = await startFake(azureDialect(opts.key ?? FAKE_AZURE_KEY, deployments), `/openai/deployments/${deployments[0]}/`);
  return Object.assign(fake, { v1BaseUrl: `${fake.url}/openai/v1/` });
}
