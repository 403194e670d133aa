// The status bar item: one glance at the gateway state, click for the actions.
import * as vscode from 'vscode';
import type { GatewayState } from '../gateway/gateway-state';

export class GatewayStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('kt.gateway', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'KT Gateway';
    this.item.command = 'kt.gateway.showActions';
    this.item.show();
  }

  update(state: GatewayState, extraTooltip: string[]): void {
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = false;
    switch (state.kind) {
      case 'stopped':
        this.item.text = '$(circle-outline) KT: stopped';
        this.item.backgroundColor = undefined;
        tip.appendMarkdown('**KT gateway** is stopped. Click for actions.');
        break;
      case 'starting':
        this.item.text = `$(sync~spin) KT: starting :${state.port}`;
        this.item.backgroundColor = undefined;
        tip.appendMarkdown(`**KT gateway** is starting on port ${state.port}.`);
        break;
      case 'running':
        this.item.text = `$(radio-tower) KT :${state.port}`;
        this.item.backgroundColor = undefined;
        tip.appendMarkdown(`**KT gateway** is running at \`${state.url}/v1\`.`);
        break;
      case 'error':
        this.item.text = '$(error) KT: error';
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        tip.appendText(`KT gateway error: ${state.message}`);
        break;
    }
    for (const line of extraTooltip) {
      tip.appendMarkdown('\n\n');
      tip.appendText(line);
    }
    this.item.tooltip = tip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
