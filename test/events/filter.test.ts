import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFilterError, matchesFilters, parseFilter, parseFilters, type EventFilter } from '../../gateway/events/filter';
import { abEvent, blockedEvent, fallbackEvent, sampleEvent } from './fixtures/sample-events';

function filters(...texts: string[]): EventFilter[] {
  const parsed = parseFilters(texts);
  if (isFilterError(parsed)) throw new Error(parsed.error);
  return parsed;
}

const events = [sampleEvent(), fallbackEvent(), abEvent('control'), abEvent('experiment'), blockedEvent()];
const pick = (...texts: string[]) => events.filter((e) => matchesFilters(e, filters(...texts))).map((e) => events.indexOf(e));

test('model= matches the requested model or the group it resolved to', () => {
  assert.deepEqual(pick('model=reliable-chat'), [1]);
  const direct = sampleEvent({ model: 'my-alias', model_group: 'fast-chat' });
  assert.equal(matchesFilters(direct, filters('model=fast-chat')), true);
  assert.equal(matchesFilters(direct, filters('model=my-alias')), true);
  assert.equal(matchesFilters(direct, filters('model!=fast-chat')), false);
});

test('string fields, nulls and booleans compare as text', () => {
  assert.deepEqual(pick('tag=control'), [2]);
  assert.deepEqual(pick('resolved_model=claude-sonnet-4'), [1, 3]);
  assert.deepEqual(pick('decision=blocked'), [4]);
  assert.deepEqual(pick('provider=openai'), [0, 2]);
  assert.deepEqual(pick('tag=null'), [0, 1, 4]);
  assert.deepEqual(pick('stream=false'), [0, 1, 2, 3, 4]);
  assert.deepEqual(pick('decision!=allowed'), [4]);
});

test('numbers compare numerically, on nested paths and inside arrays', () => {
  assert.deepEqual(pick('tokens.total>100'), [1]);
  assert.deepEqual(pick('tokens.total<50'), [4]);
  assert.deepEqual(pick('tokens.total=50.0'), [0, 2, 3]);
  assert.deepEqual(pick('latency_ms>=5910'), [1]);
  assert.deepEqual(pick('fallback_count<=0'), [0, 2, 3, 4]);
  assert.deepEqual(pick('attempts.provider=openai'), [0, 1, 2, 3]);
  assert.deepEqual(pick('attempts.outcome=timeout'), [1]);
  assert.deepEqual(pick('http_status=403'), [4]);
});

test('several filters must all hold', () => {
  assert.deepEqual(pick('model=chat-experiment', 'provider=anthropic'), [3]);
  assert.deepEqual(pick('model=chat-experiment', 'provider=ollama'), []);
});

test('bad filters are error values that say what to write', () => {
  const noOperator = parseFilter('reliable-chat');
  assert.ok(isFilterError(noOperator));
  assert.match(noOperator.error, /field=value/);
  const unknown = parseFilter('modle=x');
  assert.ok(isFilterError(unknown));
  assert.match(unknown.error, /unknown field 'modle'.*resolved_model/);
  const notNumber = parseFilter('tokens.total>lots');
  assert.ok(isFilterError(notNumber));
  assert.match(notNumber.error, /compares numbers/);
  const many = parseFilters(['tag=control', '=x']);
  assert.ok(isFilterError(many));
  assert.match(many.error, /'=x'/);
});

test('values may contain = and spaces around the operator are ignored', () => {
  const parsed = parseFilter(' reason = a=b ');
  assert.ok(!isFilterError(parsed));
  assert.deepEqual([parsed.path, parsed.op, parsed.value], [['reason'], '=', 'a=b']);
});
