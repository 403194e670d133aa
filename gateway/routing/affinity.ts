// Session affinity: the same conversation lands on the same model, on every gateway replica.
import { createHash } from 'node:crypto';
import type { ChatMessage } from '../providers/provider';

/** x-session-id header, else the `user` field, else a hash of the first user message. */
export function sessionKey(request: { user?: unknown; messages?: ChatMessage[] }, headerValue: string | undefined): string | undefined {
  if (headerValue && headerValue.trim()) return headerValue.trim().slice(0, 200);
  if (typeof request.user === 'string' && request.user) return `user:${request.user.slice(0, 200)}`;
  const first = request.messages?.find((m) => m.role === 'user');
  if (!first) return undefined;
  const text = typeof first.content === 'string' ? first.content : JSON.stringify(first.content ?? '');
  return `msg:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

function unitHash(key: string, member: string): number {
  const digest = createHash('sha256').update(key).update('\0').update(member).digest();
  // 48 bits into (0, 1): never 0, so the log below is finite.
  return (digest.readUIntBE(0, 6) + 1) / (2 ** 48 + 2);
}

/**
 * Weighted rendezvous hashing: each member scores -weight / ln(u(key, member)); the highest wins.
 * A pure function of key and members, so replicas agree, and removing a member moves only its keys.
 */
export function rendezvousRank<T>(key: string, members: readonly T[], id: (m: T) => string, weight: (m: T) => number): T[] {
  return members
    .map((m) => ({ m, score: weight(m) > 0 ? -weight(m) / Math.log(unitHash(key, id(m))) : -Infinity }))
    .sort((a, b) => b.score - a.score)
    .map((s) => s.m);
}
