// Bundles the three runtime artefacts with esbuild: the VS Code extension, the language server and the kt CLI.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { yamlWithoutEnvReads } from './esbuild-plugins.mjs';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [yamlWithoutEnvReads],
};

const targets = [
  { entryPoints: ['client/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['server/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['gateway/cli/kt.ts'], outfile: 'dist/kt.js', banner: { js: '#!/usr/bin/env node' } },
  // ~2 MB of tokenizer tables, required lazily by dist/kt.js only for cost routing.
  { entryPoints: ['gateway/routing/tokenizer-bundle.ts'], outfile: 'dist/tokenizer.js', sourcemap: false },
  // The OTLP export worker (OpenTelemetry SDK and exporters), started by dist/kt.js only with --otlp-endpoint.
  { entryPoints: ['gateway/telemetry/otlp-worker.ts'], outfile: 'dist/otlp.js' },
  // The routing dashboard's webview script (uPlot inside): runs in the editor's browser sandbox.
  { entryPoints: ['client/dashboard/webview/main.ts'], outfile: 'dist/dashboard.js', platform: 'browser', format: 'iife', target: 'es2022', plugins: [] },
];

const started = Date.now();
const present = targets.filter((t) => existsSync(t.entryPoints[0]));
for (const t of targets) if (!present.includes(t)) console.warn(`build: ${t.entryPoints[0]} does not exist yet; ${t.outfile} not built`);
await Promise.all(present.map((t) => build({ ...common, ...t, minify: !watch })));
if (existsSync('dist/kt.js')) chmodSync('dist/kt.js', 0o755);
mkdirSync('dist', { recursive: true });
copyFileSync('node_modules/uplot/dist/uPlot.min.css', 'dist/dashboard.css');
console.log(`built ${present.map((t) => t.outfile).join(', ')} in ${Date.now() - started} ms`);
