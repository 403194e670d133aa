// Cancels one request's upstream work: the client went away, or an attempt ran out of time.
//
// Why not AbortController: every chat request needs one, and Node's AbortSignal is an EventTarget
// whose construction and listener bookkeeping (undici listens on it for every upstream call) cost
// tens of microseconds of CPU per request, a large share of the gateway's overhead over a bare proxy
// in bench/gateway.mjs. undici documents an EventEmitter with `aborted` and an 'abort' event as an
// equal signal, and that is what this is.
import { EventEmitter } from 'node:events';

export class Cancellation extends EventEmitter {
  aborted = false;
  reason: Error | undefined;

  /** Cancels once; later calls do nothing. Listeners of 'abort' run synchronously. */
  abort(reason?: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new Error('The operation was aborted');
    this.emit('abort');
  }

  /** Runs `listener` once on cancel (at once if already cancelled); returns the function that stops listening. */
  onAbort(listener: () => void): () => void {
    if (this.aborted) {
      listener();
      return () => {};
    }
    this.once('abort', listener);
    return () => this.removeListener('abort', listener);
  }
}
