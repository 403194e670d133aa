import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globsFrom, globToRegExp, PolicyFileFilter } from '../../server/policy-files';

test('default globs: policy-config.yaml and *.policy.yaml anywhere, no other YAML', () => {
  const filter = new PolicyFileFilter();
  assert.ok(filter.matches('file:///ws/policy-config.yaml'));
  assert.ok(filter.matches('file:///ws/deep/dir/staging.policy.yaml'));
  assert.ok(filter.matches('untitled:/policy-config.yaml'));
  assert.ok(!filter.matches('file:///ws/docker-compose.yaml'));
  assert.ok(!filter.matches('file:///ws/policy-config.yaml.bak'));
  assert.ok(!filter.matches('file:///ws/policy.yaml'));
});

test('configured globs replace the defaults; relative ones match under any folder', () => {
  const filter = new PolicyFileFilter(['config/*.yml', '**/routing-{dev,prod}.yaml']);
  assert.ok(filter.matches('file:///home/me/project/config/gateway.yml'));
  assert.ok(!filter.matches('file:///home/me/project/config/nested/gateway.yml'));
  assert.ok(filter.matches('file:///x/routing-prod.yaml'));
  assert.ok(!filter.matches('file:///x/routing-test.yaml'));
  assert.ok(!filter.matches('file:///x/policy-config.yaml'));
});

test('glob syntax: ?, character classes and escaped dots', () => {
  assert.ok(globToRegExp('a?.[ch]').test('ab.c'));
  assert.ok(!globToRegExp('a?.[ch]').test('abxc'));
  assert.ok(!globToRegExp('*.yaml').test('dir/x.yaml'));
  assert.ok(globToRegExp('**/*.yaml').test('x.yaml'));
});

test('only a non-empty list of strings counts as globs', () => {
  assert.deepEqual(globsFrom(['a.yaml']), ['a.yaml']);
  assert.equal(globsFrom([]), undefined);
  assert.equal(globsFrom('a.yaml'), undefined);
  assert.equal(globsFrom([1]), undefined);
});
