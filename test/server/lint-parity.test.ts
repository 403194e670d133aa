// The language server and `kt policy lint --format json` are two edges over one policy model:
// for the same file they must report exactly the same problems.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import { KT, startServer, type PolicyServerClient } from './support/server-process';

const FIXTURES = join(__dirname, 'fixtures');
const SEVERITY = ['', 'error', 'warning', 'information', 'hint'];
let client: PolicyServerClient;

before(async () => {
  ({ client } = await startServer({ initializationOptions: { debounceMs: 0 } }));
});
after(async () => {
  await client?.stop();
});

function lint(file: string): any {
  // Exit status 1 means "errors found"; the JSON report is on stdout either way.
  try {
    return JSON.parse(execFileSync(process.execPath, [KT, 'policy', 'lint', '--format', 'json', '--file', file], { encoding: 'utf8', env: {} }));
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (!stdout) throw error;
    return JSON.parse(stdout);
  }
}

for (const name of ['policy-config.yaml', 'broken.policy.yaml', 'schema-errors.policy.yaml', 'syntax-error.policy.yaml']) {
  test(`server diagnostics equal kt policy lint --format json for ${name}`, async () => {
    const file = join(FIXTURES, name);
    const uri = pathToFileURL(file).href;
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text: readFileSync(file, 'utf8') } });
    const published = await client.waitForDiagnostics(uri, 1);
    const report = lint(file);
    const fromServer = published.diagnostics.map((d) => ({
      code: d.code,
      severity: SEVERITY[d.severity ?? 1],
      message: d.message,
      range: d.range,
      related: d.relatedInformation?.map((r) => ({ range: r.location.range, message: r.message })),
      fixes: (d.data as { fixes?: unknown } | undefined)?.fixes,
    }));
    const fromLint = report.diagnostics.map((d: any) => ({ code: d.code, severity: d.severity, message: d.message, range: d.range, related: d.related, fixes: d.fixes }));
    assert.deepEqual(fromServer, fromLint);
    assert.equal(fromServer.length, report.errorCount + report.warningCount);
  });
}
