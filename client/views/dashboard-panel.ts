// KT: Open Routing Dashboard: one webview panel drawing the recent decision events (dashboard/series.ts
// folds them, dashboard/webview/main.ts draws them). Redrawn at most twice a second however fast events come.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { dashboardSeries } from '../dashboard/series';
import type { RecentEvents } from '../dashboard/recent-events';

const REDRAW_MS = 500;

export class DashboardPanel implements vscode.Disposable {
  private static current: DashboardPanel | undefined;
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private posted = -1;
  private readonly subscriptions: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, events: RecentEvents): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel('kt.routingDashboard', 'KT Routing Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [dist],
    });
    DashboardPanel.current = new DashboardPanel(panel, dist, events);
    return DashboardPanel.current;
  }

  /** Called when events arrive: schedules a redraw if a dashboard is open. */
  static eventsChanged(): void {
    DashboardPanel.current?.schedule();
  }

  private constructor(private readonly panel: vscode.WebviewPanel, dist: vscode.Uri, private readonly events: RecentEvents) {
    panel.webview.html = dashboardHtml(panel.webview, dist);
    this.subscriptions.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: { type?: string }) => {
        if (message?.type !== 'ready') return;
        // Also after the webview was hidden and its document recreated.
        this.ready = true;
        this.posted = -1;
        this.schedule(0);
      }),
      panel.onDidChangeViewState(() => {
        if (panel.visible) this.schedule(0);
      }),
    );
  }

  private schedule(delay = REDRAW_MS): void {
    if (this.timer || !this.ready) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.panel.visible || this.posted === this.events.version) return;
      this.posted = this.events.version;
      void this.panel.webview.postMessage({ type: 'data', data: dashboardSeries(this.events.all()) });
    }, delay);
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    clearTimeout(this.timer);
    for (const d of this.subscriptions.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function dashboardHtml(webview: vscode.Webview, dist: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'dashboard.js'));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'dashboard.css'));
  // Nothing remote: scripts only by nonce, styles and images only from dist/ (uPlot sets element styles).
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<style>
  body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 8px 16px; }
  h2 { font-weight: 600; margin: 4px 0; }
  #status { color: var(--vscode-descriptionForeground); margin-bottom: 12px; }
  .chart { margin-bottom: 18px; }
  .u-title { font-size: 1em; font-weight: 600; color: var(--vscode-foreground); }
  .u-legend { color: var(--vscode-foreground); font-size: 0.9em; }
  .costs { display: flex; gap: 32px; flex-wrap: wrap; }
  .costs > div { flex: 1; min-width: 280px; }
  table { border-collapse: collapse; width: 100%; }
  td { padding: 2px 6px; white-space: nowrap; }
  td.bar-cell { width: 50%; }
  .bar { height: 10px; background: var(--vscode-charts-blue, #3794ff); border-radius: 2px; }
</style>
<title>KT Routing Dashboard</title>
</head>
<body>
<h2>Routing dashboard</h2>
<div id="status"></div>
<p id="empty">No requests yet. Start the local gateway and send a request (or use <b>Try it</b> above a model group in the policy file); they are drawn here as they arrive.</p>
<div id="charts" hidden>
  <div class="chart" id="latency"></div>
  <div class="chart" id="requests"></div>
  <div class="chart" id="failures"></div>
  <div class="costs"><div id="cost-groups"></div><div id="cost-tags"></div></div>
</div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
