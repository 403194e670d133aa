// Entry of dist/server.js: the policy language server over --stdio or --node-ipc (or --socket=PORT).
import { createConnection, ProposedFeatures, type Connection } from 'vscode-languageserver/node';
import { startPolicyServer } from './connection';

let connection: Connection | undefined;
try {
  connection = createConnection(ProposedFeatures.all);
} catch {
  process.stderr.write('kt policy language server: choose a transport: node dist/server.js --stdio | --node-ipc | --socket=PORT\n');
  process.exitCode = 2;
}
if (connection) startPolicyServer(connection);
