// Turns EventsTreeModel nodes into TreeItems; refreshes are coalesced so a burst of events redraws once.
import * as vscode from 'vscode';
import type { EventsNode, EventsTreeModel } from '../events/events-tree-model';

const EVENT_ICONS: Record<string, vscode.ThemeIcon> = {
  allowed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  'fell-back': new vscode.ThemeIcon('debug-step-over', new vscode.ThemeColor('list.warningForeground')),
  blocked: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('list.warningForeground')),
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
  success: new vscode.ThemeIcon('check'),
  failed: new vscode.ThemeIcon('close'),
  skipped: new vscode.ThemeIcon('debug-step-over'),
};

export class EventsTreeProvider implements vscode.TreeDataProvider<EventsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EventsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private pending: NodeJS.Timeout | undefined;

  constructor(readonly model: EventsTreeModel) {}

  refresh(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changed.fire(undefined);
    }, 50);
  }

  getChildren(node?: EventsNode): EventsNode[] {
    return this.model.children(node);
  }

  getParent(node: EventsNode): EventsNode | undefined {
    return this.model.parentOf(node);
  }

  getTreeItem(node: EventsNode): vscode.TreeItem {
    const None = vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, None);
    item.id = node.id;
    item.description = node.description;
    item.contextValue = node.kind;
    switch (node.kind) {
      case 'group':
        item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        break;
      case 'summary':
        item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
        item.iconPath = new vscode.ThemeIcon('graph');
        item.tooltip = 'Per tag: request count, average latency and total cost (actual, else estimated)';
        break;
      case 'tag-summary':
        item.iconPath = new vscode.ThemeIcon('tag');
        break;
      case 'event':
        item.collapsibleState = node.hasAttempts ? vscode.TreeItemCollapsibleState.Collapsed : None;
        item.iconPath = EVENT_ICONS[node.icon];
        item.tooltip = node.tooltip;
        item.command = { command: 'kt.events.openJson', title: 'Open Event as JSON', arguments: [node] };
        break;
      case 'attempt':
        item.iconPath = EVENT_ICONS[node.icon];
        item.tooltip = node.description;
        break;
    }
    return item;
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.changed.dispose();
  }
}
