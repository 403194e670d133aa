// Keeps secrets out of the gateway log channel: gateway keys by their shape, provider keys by value.

const GATEWAY_KEY = /kt_gk_[A-Za-z0-9_-]+/g;

export function redactSecrets(line: string, secrets: readonly string[]): string {
  let out = line.replace(GATEWAY_KEY, 'kt_gk_***');
  for (const secret of secrets) {
    // Very short values would blank out ordinary words; keys are never that short.
    if (secret.length >= 6) out = out.split(secret).join('***');
  }
  return out;
}
