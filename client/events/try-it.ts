// "Try it" on a model group: one sample chat request through the local gateway, answered with the id of
// the decision event it left (x-kt-event-id) so the editor can reveal it. Runtime fetch, like the feed.

export const DEFAULT_TRY_PROMPT = 'Say hello in five words.';

export type TryItResult =
  | { ok: true; eventId: string | undefined; model: string | undefined; provider: string | undefined; reply: string; latencyMs: number }
  | { ok: false; eventId: string | undefined; status: number; message: string };

export async function tryGroup(baseUrl: string, key: string, group: string, prompt: string, timeoutMs = 60_000): Promise<TryItResult> {
  const started = performance.now();
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: group, messages: [{ role: 'user', content: prompt || DEFAULT_TRY_PROMPT }] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { ok: false, eventId: undefined, status: 0, message: `the gateway did not answer: ${(err as Error).message}` };
  }
  const eventId = res.headers.get('x-kt-event-id') ?? undefined;
  const text = await res.text().catch(() => '');
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status !== 200) {
    const message = typeof body?.error?.message === 'string' ? body.error.message : `HTTP ${res.status}`;
    return { ok: false, eventId, status: res.status, message };
  }
  const reply = typeof body?.choices?.[0]?.message?.content === 'string' ? body.choices[0].message.content : '';
  return {
    ok: true,
    eventId,
    model: res.headers.get('x-kt-resolved-model') ?? body?.model,
    provider: res.headers.get('x-kt-provider') ?? undefined,
    reply,
    latencyMs: Math.round(performance.now() - started),
  };
}
