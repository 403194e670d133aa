// Every command as name → factory(ctx); extension.ts registers them all.
import * as vscode from 'vscode';
import { readFile } from 'node:fs/promises';
import { EXPLAIN_ROUTE_COMMAND } from '../server/protocol';
import type { Ctx } from './ctx';
import { eventAsCurl } from './events/event-curl';
import { DEFAULT_TRY_PROMPT, tryGroup } from './events/try-it';
import { UNTAGGED, type EventsNode } from './events/events-tree-model';
import { isValidEnvName, keyEnvNames } from './policy/policy-files';
import { eventUri } from './views/event-document';
import { explainUri } from './views/explain-document';

type Factory = (ctx: Ctx) => (...args: any[]) => unknown;

/** The event a command acts on: a tree node, an id, or the tree's selection. */
function eventIdOf(ctx: Ctx, arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const node = arg as EventsNode | undefined;
  if (node?.kind === 'event') return node.eventId;
  const selected = ctx.treeView.selection[0] as EventsNode | undefined;
  return selected?.kind === 'event' ? selected.eventId : undefined;
}

async function pickEventId(ctx: Ctx, arg: unknown): Promise<string | undefined> {
  const id = eventIdOf(ctx, arg);
  if (id) return id;
  const items = ctx.model
    .children()
    .flatMap((g) => ctx.model.children(g))
    .filter((n): n is Extract<EventsNode, { kind: 'event' }> => n.kind === 'event')
    .map((n) => ({ label: n.label, description: n.description, id: n.eventId }));
  if (!items.length) {
    void vscode.window.showInformationMessage('KT: no routing events yet. Start the gateway and send a request.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: 'KT: pick an event' }))?.id;
}

function gatewayUrl(ctx: Ctx): string | undefined {
  const state = ctx.gateway.state;
  if (state.kind === 'running') return state.url;
  void vscode.window.showWarningMessage(`KT: the gateway is ${ctx.statusText()}. Run "KT: Start Local Gateway" first.`);
  return undefined;
}

export const commands: Record<string, Factory> = {
  'kt.gateway.start': (ctx) => () => ctx.startGateway(),
  'kt.gateway.stop': (ctx) => () => ctx.stopGateway(),
  'kt.gateway.restart': (ctx) => async () => {
    await ctx.stopGateway();
    return ctx.startGateway();
  },
  'kt.gateway.showLog': (ctx) => () => ctx.log.show(true),

  'kt.gateway.copyUrl': (ctx) => async () => {
    const url = gatewayUrl(ctx);
    if (!url) return;
    await vscode.env.clipboard.writeText(`${url}/v1`);
    void vscode.window.showInformationMessage(`KT: copied ${url}/v1 (the base_url for OpenAI SDKs).`);
  },

  'kt.gateway.copyKey': (ctx) => async () => {
    const key = await ctx.readDevKey();
    if (!key) {
      void vscode.window.showWarningMessage(
        'KT: no development key yet. Start the gateway once (it creates .kt/dev-key beside the config), or create one with "kt keys create --name NAME --admin".',
      );
      return;
    }
    await vscode.env.clipboard.writeText(key);
    void vscode.window.showInformationMessage('KT: copied the gateway development key to the clipboard.');
  },

  'kt.gateway.setProviderKey': (ctx) => async () => {
    const config = await ctx.resolveConfigPath();
    let names: string[] = [];
    if (config) {
      try {
        names = keyEnvNames(await readFile(config, 'utf8'));
      } catch (err) {
        void vscode.window.showWarningMessage(`KT: could not read the key names from ${config}: ${(err as Error).message}`);
      }
    }
    const other = '$(edit) Other variable…';
    const items = await Promise.all(
      names.map(async (name) => ({
        label: name,
        description: (await ctx.extension.secrets.get(ctx.secretName(name))) ? 'set' : 'not set',
      })),
    );
    const pick = await vscode.window.showQuickPick([...items, { label: other, description: '' }], {
      title: 'KT: set a provider key (secret_key_ref.env)',
      placeHolder: 'Stored in VS Code SecretStorage and passed to the gateway only',
    });
    if (!pick) return;
    let name = pick.label;
    if (name === other) {
      name =
        (await vscode.window.showInputBox({
          title: 'Environment variable name',
          validateInput: (v) => (isValidEnvName(v) ? undefined : 'Letters, digits and _ only, not starting with a digit'),
        })) ?? '';
      if (!name) return;
    }
    const value = await vscode.window.showInputBox({
      title: `Value of ${name}`,
      prompt: 'Leave empty to remove the stored key',
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value) await ctx.extension.secrets.store(ctx.secretName(name), value);
    else await ctx.extension.secrets.delete(ctx.secretName(name));
    const done = value ? `KT: stored ${name} in SecretStorage.` : `KT: removed ${name} from SecretStorage.`;
    if (ctx.gateway.state.kind === 'running') {
      const restart = await vscode.window.showInformationMessage(`${done} Restart the gateway to use it?`, 'Restart');
      if (restart) await vscode.commands.executeCommand('kt.gateway.restart');
    } else {
      void vscode.window.showInformationMessage(done);
    }
  },

  'kt.policy.lint': (ctx) => async () => {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'KT: linting policy files' },
      () => ctx.lintAll(),
    );
    if (result.failures.length) {
      for (const f of result.failures) ctx.log.appendLine(`[kt] lint: ${f}`);
      void vscode.window.showErrorMessage(`KT: could not lint ${result.failures.length} file(s): ${result.failures[0]}`, 'Show Log').then((c) => c && ctx.log.show(true));
    }
    if (result.files === 0) {
      void vscode.window.showInformationMessage(`KT: no policy files match kt.policyFiles (${ctx.policyGlobs().join(', ')}).`);
      return result;
    }
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    void vscode.window.showInformationMessage(`KT: linted ${result.files} policy file(s): ${result.errors} error(s), ${result.warnings} warning(s).`);
    return result;
  },

  'kt.events.clear': (ctx) => () => {
    ctx.model.clear();
    ctx.tree.refresh();
  },
  'kt.events.refresh': (ctx) => () => ctx.refreshEvents(),

  'kt.events.filterByTag': (ctx) => async () => {
    const all = '$(clear-all) All tags';
    const tags = ctx.model.tags();
    const pick = await vscode.window.showQuickPick(
      [{ label: all, description: ctx.model.filter === undefined ? 'current' : '' }, ...tags.map((t) => ({ label: t, description: ctx.model.filter === t ? 'current' : '' }))],
      { title: 'KT: show routing events with tag', placeHolder: tags.length ? undefined : 'No tags seen yet' },
    );
    if (!pick) return;
    const tag = pick.label === all ? undefined : pick.label;
    ctx.model.setTagFilter(tag);
    ctx.treeView.description = tag === undefined ? undefined : tag === UNTAGGED ? 'untagged' : `tag: ${tag}`;
    ctx.tree.refresh();
  },

  'kt.events.openJson': (ctx) => async (arg?: unknown) => {
    const id = await pickEventId(ctx, arg);
    if (!id) return;
    const doc = await vscode.workspace.openTextDocument(eventUri(id));
    await vscode.window.showTextDocument(doc, { preview: true });
  },

  'kt.events.copyCurl': (ctx) => async (arg?: unknown) => {
    const id = await pickEventId(ctx, arg);
    const event = id ? ctx.model.get(id) : undefined;
    if (!event) return;
    const state = ctx.gateway.state;
    const base = state.kind === 'running' ? state.url : `http://127.0.0.1:${ctx.setting<number>('gateway.port', 41002)}`;
    await vscode.env.clipboard.writeText(eventAsCurl(event, base));
    void vscode.window.showInformationMessage('KT: copied a curl that replays this request (set KT_GATEWAY_KEY first).');
  },

  // From the code lenses above each model group (the language server names the group).
  'kt.group.tryIt': (ctx) => async (group?: unknown) => {
    if (typeof group !== 'string' || !group) return;
    const url = gatewayUrl(ctx);
    if (!url) return;
    const key = await ctx.readDevKey();
    if (!key) {
      void vscode.window.showWarningMessage('KT: no dev key in the state dir (.kt/dev-key); restart the gateway to create one.');
      return;
    }
    const prompt = ctx.setting<string>('tryPrompt', DEFAULT_TRY_PROMPT);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `KT: trying ${group}…` },
      () => tryGroup(url, key, group, prompt),
    );
    if (result.eventId) void ctx.revealEvent(result.eventId);
    if (result.ok) {
      const reply = result.reply.length > 80 ? `${result.reply.slice(0, 80)}…` : result.reply;
      void vscode.window.showInformationMessage(`KT: ${group} → ${result.provider ?? '?'}/${result.model ?? '?'} in ${result.latencyMs} ms: "${reply}"`);
    } else {
      void vscode.window.showWarningMessage(`KT: trying ${group} failed (${result.status || 'no answer'}): ${result.message}`);
    }
  },

  'kt.events.showGroup': (ctx) => async (group?: unknown) => {
    await vscode.commands.executeCommand('kt.routingEvents.focus');
    const node = typeof group === 'string' ? ctx.model.children().find((n) => n.kind === 'group' && n.group === group) : undefined;
    if (node) await ctx.treeView.reveal(node, { select: true, focus: true, expand: true });
  },

  'kt.dashboard.open': (ctx) => () => ctx.openDashboard(),

  // The language server's "Explain route…" code action passes the policy file's URI and the group.
  [EXPLAIN_ROUTE_COMMAND]: () => async (policyUri?: unknown, group?: unknown) => {
    if (typeof policyUri !== 'string' || typeof group !== 'string') {
      void vscode.window.showInformationMessage('KT: put the cursor in a model group of a policy file and pick "Explain route…" from its code actions (Ctrl+.).');
      return;
    }
    const doc = await vscode.workspace.openTextDocument(explainUri(policyUri, group));
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
  },

  'kt.gateway.showActions': (ctx) => async () => {
    const kind = ctx.gateway.state.kind;
    const actions: Array<{ label: string; command: string }> =
      kind === 'running'
        ? [
            { label: '$(copy) Copy Gateway URL', command: 'kt.gateway.copyUrl' },
            { label: '$(key) Copy Gateway Key', command: 'kt.gateway.copyKey' },
            { label: '$(debug-restart) Restart Local Gateway', command: 'kt.gateway.restart' },
            { label: '$(debug-stop) Stop Local Gateway', command: 'kt.gateway.stop' },
          ]
        : kind === 'starting'
          ? [{ label: '$(debug-stop) Stop Local Gateway', command: 'kt.gateway.stop' }]
          : [{ label: '$(play) Start Local Gateway', command: 'kt.gateway.start' }];
    actions.push(
      { label: '$(graph-line) Open Routing Dashboard', command: 'kt.dashboard.open' },
      { label: '$(output) Show Gateway Log', command: 'kt.gateway.showLog' },
      { label: '$(lock) Set Provider Key…', command: 'kt.gateway.setProviderKey' },
      { label: '$(checklist) Lint Policy Config', command: 'kt.policy.lint' },
    );
    const pick = await vscode.window.showQuickPick(actions, { title: `KT gateway: ${ctx.statusText()}` });
    if (pick) await vscode.commands.executeCommand(pick.command);
  },
};
