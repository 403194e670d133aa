// Azure OpenAI: OpenAI's wire format behind deployment URLs, an `api-key` header and an api-version.
import type { ProviderTarget } from '../policy/types';
import { createOpenAICompatible } from './openai';
import type { Provider } from './provider';
import { requireKey, routeFor, type UpstreamRoute } from './upstream';

/** The GA data-plane version the guide's examples use. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/**
 * Deployment form `…/openai/deployments/{name}/` → `{base}chat/completions?api-version=…`;
 * v1 form `…/openai/v1/` → `{base}chat/completions` with the deployment as `model`;
 * a bare resource URL → the deployment form with the model as the deployment name.
 * `operation` is the path after the deployment (`embeddings` for embeddings).
 */
export function azureRoute(target: ProviderTarget, model: string, operation = 'chat/completions'): UpstreamRoute {
  const apiVersion = target.apiVersion ?? DEFAULT_AZURE_API_VERSION;
  const path = new URL(target.baseUrl).pathname;
  if (/\/openai\/deployments\/[^/]+/.test(path)) return routeFor(target.baseUrl, operation, { 'api-version': apiVersion });
  if (/\/openai\/v1\/?$/.test(path)) {
    return routeFor(target.baseUrl, operation, target.apiVersion ? { 'api-version': target.apiVersion } : undefined);
  }
  const root = target.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
  return routeFor(`${root}/openai/deployments/${encodeURIComponent(model)}`, operation, { 'api-version': apiVersion });
}

export const azureOpenAI: Provider = createOpenAICompatible({
  type: 'azure-openai',
  route: azureRoute,
  embeddingsRoute: (target, model) => azureRoute(target, model, 'embeddings'),
  headers: (ctx) => ({ 'content-type': 'application/json', 'api-key': requireKey(ctx) }),
});
