// Any JSON a client sends to /v1/messages or /v1/responses is a chat request or a 400 naming what to fix, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UpstreamError } from '../../gateway/providers/provider';
import { fromAnthropicRequest } from '../../gateway/wire/anthropic';
import { fromResponsesRequest } from '../../gateway/wire/responses';

/** JSON values shaped like the bodies (the right keys, any values), so the checks deep inside are reached. */
const block = fc.record({
  type: fc.constantFrom('text', 'image', 'tool_use', 'tool_result', 'thinking', 'document', 'input_text', 'input_image', 'output_text', 'function_call', 'function_call_output', 'message', 'reasoning', 'item_reference', 'other'),
  text: fc.oneof(fc.string(), fc.jsonValue()),
  role: fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'),
  content: fc.oneof(fc.string(), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()),
  source: fc.oneof(fc.record({ type: fc.constantFrom('base64', 'url', 'file'), media_type: fc.string(), data: fc.string(), url: fc.string() }, { requiredKeys: [] }), fc.jsonValue()),
  id: fc.jsonValue(), name: fc.jsonValue(), input: fc.jsonValue(), tool_use_id: fc.jsonValue(),
  call_id: fc.jsonValue(), arguments: fc.jsonValue(), output: fc.jsonValue(), image_url: fc.jsonValue(),
}, { requiredKeys: [] });
const message = fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant', 'system'), fc.jsonValue()), content: fc.oneof(fc.string(), fc.array(block, { maxLength: 4 }), fc.jsonValue()) }, { requiredKeys: [] });
const body = fc.record({
  model: fc.oneof(fc.constant('g'), fc.jsonValue()),
  messages: fc.oneof(fc.array(message, { maxLength: 4 }), fc.jsonValue()),
  input: fc.oneof(fc.string(), fc.array(fc.oneof(block, message), { maxLength: 4 }), fc.jsonValue()),
  system: fc.oneof(fc.string(), fc.array(block, { maxLength: 2 }), fc.jsonValue()),
  instructions: fc.jsonValue(),
  max_tokens: fc.jsonValue(), max_output_tokens: fc.jsonValue(), stream: fc.jsonValue(), stop_sequences: fc.jsonValue(),
  tools: fc.oneof(fc.array(fc.record({ type: fc.jsonValue(), name: fc.jsonValue(), input_schema: fc.jsonValue(), parameters: fc.jsonValue() }, { requiredKeys: [] }), { maxLength: 2 }), fc.jsonValue()),
  tool_choice: fc.jsonValue(), metadata: fc.jsonValue(), text: fc.jsonValue(), reasoning: fc.jsonValue(), previous_response_id: fc.constantFrom(undefined, null, 'resp_1'),
}, { requiredKeys: [] });

/** Nearly right bodies, so a good share is translated and the success path is checked too. */
const simple = fc.record({
  model: fc.constant('g'),
  messages: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant'), content: fc.oneof(fc.string(), fc.array(fc.record({ type: fc.constantFrom('text', 'image', 'tool_use'), text: fc.string() }, { requiredKeys: [] }), { maxLength: 3 })) }, { requiredKeys: [] }), { maxLength: 3 }),
  input: fc.string(),
}, { requiredKeys: [] });

function translatedOrRefused(translate: (b: unknown) => { model: string; messages: unknown[] }, b: unknown): void {
  try {
    const chat = translate(b);
    assert.equal(typeof chat.model, 'string');
    assert.ok(Array.isArray(chat.messages));
    JSON.stringify(chat);
  } catch (error) {
    assert.ok(error instanceof UpstreamError, `not a 400 but ${String(error)}`);
    assert.equal(error.status, 400);
    assert.ok(error.message.length > 10);
  }
}

test('fromAnthropicRequest: any body is translated or refused with a 400', () => {
  fc.assert(fc.property(fc.oneof(simple, body, fc.jsonValue()), (b) => translatedOrRefused(fromAnthropicRequest, b)), { numRuns: 3000 });
});

test('fromAnthropicRequest keeping Anthropic-only content aside: any body is translated or refused with a 400', () => {
  fc.assert(fc.property(fc.oneof(simple, body, fc.jsonValue()), (b) => translatedOrRefused((x) => fromAnthropicRequest(x, () => {}), b)), { numRuns: 3000 });
});

test('fromResponsesRequest: any body is translated or refused with a 400', () => {
  fc.assert(fc.property(fc.oneof(simple, body, fc.jsonValue()), (b) => translatedOrRefused(fromResponsesRequest, b)), { numRuns: 3000 });
});
