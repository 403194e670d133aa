// esbuild plugins shared by the build and the benchmarks that bundle our code.
import { readFile } from 'node:fs/promises';

/**
 * yaml reads process.env.LOG_TOKENS once per token and LOG_STREAM once per document; Node's env object
 * is a C++-backed proxy, which made those reads ~12% of parsing a 10,000-line config. The bundles
 * never log yaml's internals, so the reads become `false`.
 */
export const yamlWithoutEnvReads = {
  name: 'yaml-without-env-reads',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]yaml[\\/]dist[\\/](parse[\\/]parser|compose[\\/]composer)\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(/node_process\.env\.LOG_(TOKENS|STREAM)/g, 'false'), loader: 'js' };
    });
  },
};
