// Read-only virtual documents `kt-event:/<id>.json` showing one DecisionEvent.
import * as vscode from 'vscode';
import type { EventsTreeModel } from '../events/events-tree-model';

export const EVENT_SCHEME = 'kt-event';

export function eventUri(id: string): vscode.Uri {
  return vscode.Uri.from({ scheme: EVENT_SCHEME, path: `/${id}.json` });
}

export class EventDocumentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly model: EventsTreeModel) {}

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = uri.path.replace(/^\//, '').replace(/\.json$/, '');
    const event = this.model.get(id);
    if (!event) return JSON.stringify({ error: `Event ${id} is no longer in the Routing Events view (cleared or past kt.events.maxItems).` }, null, 2);
    return JSON.stringify(event, null, 2) + '\n';
  }
}
