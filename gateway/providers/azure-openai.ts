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
 */
export function azureRoute(target: ProviderTarget, model: string): UpstreamRoute {
  const apiVersion = target.apiVersion ?? DEFAULT_AZURE_API_VERSION;
  const path = new URL(target.baseUrl).pathname;
  if (/\/openai\/deployments\/[^/]+/.test(path)) return routeFor(target.baseUrl, 'chat/completions', { 'api-version': apiVersion });
  if (/\/openai\/v1\/?$/.test(path)) {
    return routeFor(target.baseUrl, 'chat/completions', target.apiVersion ? { 'api-version': target.apiVersion } : undefined);
  }
  const root = target.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
  return routeFor(`${root}/openai/deployments/${encodeURIComponent(model)}`, 'chat/completions', { 'api-version': apiVersion });
}

export const azureOpenAI: Provider = createOpenAICompatible({
  type: 'azure-openai',
  route: azureRoute,
  headers: (ctx) => ({ 'content-type': 'application/json', 'api-key': requireKey(ctx) }),
});
