import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainPath, parseExplainTarget } from '../../client/explain/explain-target';

test('a kt-explain document names its group in the path and its policy file in the query, both ways', () => {
  const policy = 'file:///home/me/ws/policy-config.yaml';
  for (const group of ['cheap-chat', 'a/b c?#%', 'ünïcode']) {
    const path = explainPath(group);
    assert.ok(path.endsWith(' route.md'), path);
    assert.ok(!path.slice(1).includes('/'), 'one path segment, so the tab shows the group');
    assert.deepEqual(parseExplainTarget(path, encodeURIComponent(policy)), { uri: policy, group });
  }
  assert.equal(explainPath('cheap-chat'), '/cheap-chat route.md');
});

test('paths and queries that are not ours are refused, not thrown on', () => {
  assert.equal(parseExplainTarget('/cheap-chat.json', 'file%3A%2F%2F%2Fx'), undefined);
  assert.equal(parseExplainTarget('/cheap-chat route.md', ''), undefined);
  assert.equal(parseExplainTarget('/%E0%A4%A route.md', 'file%3A%2F%2F%2Fx'), undefined);
});
