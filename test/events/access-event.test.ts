import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessEvent } from '../../gateway/events/access-event';
import { EventLog } from '../../gateway/events/event-log';
import { parseFilters } from '../../gateway/events/filter';

test('access events carry method, path without query, status and key name, and filter by kind', (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'kt-access-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const now = new Date('2025-06-01T10:00:00Z');
  const denied = accessEvent({ method: 'get', path: '/v1/models?token=abc', http_status: 401, key_id: null, decision: 'blocked', reason: 'missing gateway key' }, now);
  assert.deepEqual(
    [denied.kind, denied.path, denied.http_status, denied.key_id, denied.decision, denied.reason, denied.ts],
    ['access', 'GET /v1/models', 401, null, 'blocked', 'missing gateway key', '2025-06-01T10:00:00.000Z'],
  );
  assert.match(denied.id, /^evt_/);
  const log = new EventLog({ stateDir });
  log.append(denied);
  log.append(accessEvent({ method: 'GET', path: '/kt/v1/events', http_status: 200, key_id: 'dev', decision: 'allowed' }));
  const filters = parseFilters(['kind=access', 'http_status=401']);
  assert.ok(Array.isArray(filters));
  assert.deepEqual(log.query({ filters, limit: 10 }).map((e) => e.id), [denied.id]);
  log.close();
});
