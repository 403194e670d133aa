// The one gateway status that the status bar, the welcome view and the commands all read.

export type GatewayState =
  | { kind: 'stopped' }
  | { kind: 'starting'; port: number }
  | { kind: 'running'; port: number; url: string }
  | { kind: 'error'; message: string };

export type GatewayStateKind = GatewayState['kind'];

export type StateListener = (state: GatewayState) => void;

/** Holds the current state and tells listeners about every change. */
export class GatewayStatus {
  private current: GatewayState = { kind: 'stopped' };
  private readonly listeners = new Set<StateListener>();

  get state(): GatewayState {
    return this.current;
  }

  set(next: GatewayState): void {
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  /** Returns an unsubscribe function. */
  onDidChange(listener: StateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Short text for the status bar and quick pick. */
export function describeState(state: GatewayState): string {
  switch (state.kind) {
    case 'stopped':
      return 'stopped';
    case 'starting':
      return `starting on :${state.port}`;
    case 'running':
      return `running on :${state.port}`;
    case 'error':
      return `error: ${state.message}`;
  }
}
