// The gateway's policy config in the benchmarks: one target per fake upstream, one single-model group per target.

/** `routes`: [{ group, target, url }], url being a fake upstream's origin. */
export function benchRoutingConfig(routes) {
  const targets = routes.flatMap(({ target, url }) => [`    - id: ${target}`, '      provider:', `        base_url: ${url}/v1`, '        secret_key_ref:', '          env: BENCH_KEY']);
  const groups = routes.flatMap(({ group, target }) => [`  - name: ${group}`, '    models:', `      - provider: ${target}`, '        model: bench-model']);
  return ['providers:', '  targets:', ...targets, 'model_groups:', ...groups, ''].join('\n');
}
