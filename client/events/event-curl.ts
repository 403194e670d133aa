// "Copy Event as curl": a command that replays the event's request shape against the gateway.
// Events do not store prompts (by design), so the message is a placeholder, and the key is read
// from an env var rather than pasted into shell history.
import { API_ROUTE, type DecisionEvent } from '../../gateway/events/decision-event';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Each inbound API's route and a minimal body for the model; events before `api` was recorded are chat. */
function requestFor(event: DecisionEvent, model: string): { path: string; body: Record<string, unknown> } {
  switch (event.api) {
    case 'messages': return { path: API_ROUTE.messages, body: { model, max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] } };
    case 'responses': return { path: API_ROUTE.responses, body: { model, input: 'Hello' } };
    case 'embeddings': return { path: API_ROUTE.embeddings, body: { model, input: 'Hello' } };
    default: return { path: API_ROUTE.chat, body: { model, messages: [{ role: 'user', content: 'Hello' }] } };
  }
}

export function eventAsCurl(event: DecisionEvent, baseUrl: string): string {
  const { path, body } = requestFor(event, event.model ?? event.model_group ?? event.resolved_model ?? '');
  if (event.stream) body.stream = true;
  const lines = [
    `curl -s${event.stream ? 'N' : ''} ${shellQuote(`${baseUrl.replace(/\/$/, '')}${path}`)}`,
    `  -H 'Content-Type: application/json'`,
    `  -H "Authorization: Bearer $KT_GATEWAY_KEY"`,
  ];
  if (event.session_id) lines.push(`  -H ${shellQuote(`x-session-id: ${event.session_id}`)}`);
  lines.push(`  -d ${shellQuote(JSON.stringify(body))}`);
  return `# Replays event ${event.id} (${event.resolved_model ?? 'no model'}); the original prompt is not stored.\n` + lines.join(' \\\n');
}
