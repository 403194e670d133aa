// Asks a local Ollama whether it runs and which models it has pulled, with a short timeout so a
// missing Ollama never slows the gateway's start.

export const OLLAMA_URL = 'http://localhost:11434';

export interface OllamaProbe {
  answered: boolean;
  version?: string;
  models: string[];
  /** Why it did not answer, for the tooltip and the warning. */
  error?: string;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) {
    await res.arrayBuffer().catch(() => undefined);
    throw new Error(`${new URL(url).pathname} answered HTTP ${res.status}`);
  }
  return res.json();
}

export async function probeOllama(baseUrl = OLLAMA_URL, timeoutMs = 800): Promise<OllamaProbe> {
  const base = baseUrl.replace(/\/$/, '');
  let version: string | undefined;
  try {
    const v = (await getJson(`${base}/api/version`, timeoutMs)) as { version?: unknown };
    version = typeof v?.version === 'string' ? v.version : undefined;
  } catch (err) {
    return { answered: false, models: [], error: describeError(err) };
  }
  try {
    const tags = (await getJson(`${base}/api/tags`, timeoutMs)) as { models?: Array<{ name?: unknown; model?: unknown }> };
    const models = (Array.isArray(tags?.models) ? tags.models : [])
      .map((m) => (typeof m?.name === 'string' ? m.name : typeof m?.model === 'string' ? m.model : undefined))
      .filter((n): n is string => !!n);
    return { answered: true, version, models };
  } catch (err) {
    return { answered: true, version, models: [], error: `listing models failed: ${describeError(err)}` };
  }
}

function describeError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'no answer within the timeout';
  const code = e?.code ?? e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (Ollama is not running)';
  return e?.message ?? String(err);
}

export interface OllamaSettings {
  enabled: boolean;
  /** Model chosen in settings; empty means the first pulled model. */
  model: string;
}

export interface OllamaFallbackPlan {
  /** Value for `--ollama-fallback`, or undefined to start without it. */
  model?: string;
  /** One clear warning to show the user, when something needs their action. */
  warning?: string;
  /** One line for the status bar tooltip. */
  summary: string;
}

/** Decides the `--ollama-fallback` flag from the settings and what the probe saw. */
export function planOllamaFallback(settings: OllamaSettings, probe: OllamaProbe | undefined): OllamaFallbackPlan {
  if (!settings.enabled || !probe) return { summary: 'Ollama fallback: off (kt.gateway.ollamaFallback)' };
  const chosen = settings.model.trim();
  if (!probe.answered) {
    const why = probe.error ? ` (${probe.error})` : '';
    return {
      model: chosen || undefined,
      summary: `Ollama: did not answer at ${OLLAMA_URL}${why}` + (chosen ? `; fallback to ${chosen} added anyway` : '; no fallback added'),
      warning:
        `Ollama did not answer at ${OLLAMA_URL}${why}, so no local fallback was added. ` +
        'Install Ollama from https://ollama.com and run "ollama serve" and "ollama pull llama3.1", ' +
        'or turn off the setting kt.gateway.ollamaFallback.',
    };
  }
  const version = probe.version ? ` ${probe.version}` : '';
  const list = probe.models.length ? probe.models.join(', ') : 'no models';
  if (chosen) {
    const warning = probe.models.includes(chosen) ? undefined : `Ollama has no model "${chosen}" (it has: ${list}). Run "ollama pull ${chosen}" or change kt.gateway.ollamaModel.`;
    return { model: chosen, summary: `Ollama${version}: ${list}; fallback model ${chosen}`, warning };
  }
  if (!probe.models.length) {
    return {
      summary: `Ollama${version}: answered, no models pulled; no fallback added`,
      warning: 'Ollama is running but has no models, so no local fallback was added. Run "ollama pull llama3.1" and restart the gateway.',
    };
  }
  return { model: probe.models[0], summary: `Ollama${version}: ${list}; fallback model ${probe.models[0]}` };
}
