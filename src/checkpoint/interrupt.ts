/**
 * Steps that must not be cut in the middle by Ctrl-C or a TERM: while one
 * runs, the CLI's signal handlers only remember the signal; when the last
 * such step ends, the process exits as the signal asked. A kill -9 or a power
 * cut can still cut them: the journal and `zcp repair` are for those.
 * @module
 */

let depth = 0;
let deferred: NodeJS.Signals | undefined;
let onDeferredExit: ((signal: NodeJS.Signals) => void) | undefined;

/** Runs `fn` as one step that a signal waits for (nested steps count as one). */
export async function uninterruptible<T>(fn: () => Promise<T>): Promise<T> {
  depth++;
  try {
    return await fn();
  } finally {
    depth--;
    if (depth === 0 && deferred && onDeferredExit) onDeferredExit(deferred);
  }
}

/** Whether a step is running now (a signal is deferred, not acted on). */
export function inUninterruptibleStep(): boolean {
  return depth > 0;
}

/**
 * For the CLI's signal handler: defers `signal` if a step runs (true), and
 * sets what to do once it ends. False when nothing runs: act on it now.
 */
export function deferSignal(signal: NodeJS.Signals, exit: (signal: NodeJS.Signals) => void): boolean {
  if (depth === 0) return false;
  deferred ??= signal;
  onDeferredExit = exit;
  return true;
}
