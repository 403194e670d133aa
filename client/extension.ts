// Entry point: activation builds the Ctx and registers the commands; deactivation disposes it.
import * as vscode from 'vscode';
import { Ctx } from './ctx';
import { commands } from './commands';

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(extension);
  for (const [name, factory] of Object.entries(commands)) {
    extension.subscriptions.push(vscode.commands.registerCommand(name, factory(ctx)));
  }
  await ctx.startLanguageClient();
}

export async function deactivate(): Promise<void> {
  const current = ctx;
  ctx = undefined;
  await current?.dispose();
}
