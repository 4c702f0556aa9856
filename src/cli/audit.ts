/**
 * What zcp did, in the system log, as snapper and zsys leave it there: one
 * line per checkpoint made or destroyed, transaction, rollback, boot
 * environment, prune, repair and refusal, with its TID, at facility user
 * through logger(1) (the syslog socket, /dev/log, which journald serves on a
 * systemd machine). Dry runs and read-only commands log nothing. Logging
 * never fails a command: a machine without a syslog socket has no log.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { oneLine } from './format.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One line to the system log (tag zcp, with zcp's pid). */
export function syslog(priority: 'info' | 'notice' | 'warning', message: string): void {
  const line = oneLine(message).slice(0, 2000);
  spawnSync('logger', ['-t', 'zcp', `--id=${process.pid}`, '-p', `user.${priority}`, '--', line], { stdio: 'ignore', timeout: 5000 });
}

const tx = (t: Json | undefined) => (t ? `transaction ${t.tid} ${t.state}: ${t.title} (checkpoint ${t.checkpoint})` : '');

/** The log line of a command that finished (undefined: nothing to log: read-only, a dry run, not confirmed). */
export function outcomeLine(command: string, args: readonly string[], result: Json | undefined): string | undefined {
  if (!result || result.dryRun === true) return undefined;
  switch (command) {
    case 'create':
      return `checkpoint ${result.checkpoint.id} (TID ${result.checkpoint.tid}) created${result.checkpoint.title ? `: ${result.checkpoint.title}` : ''}`;
    case 'rollback':
      if (!result.done) return undefined;
      return `rolled back to ${result.plan.target.id} (TID ${result.plan.target.tid}): ${result.plan.datasets.join(', ')}; undid TIDs ${result.undid.join(', ') || 'none'}; destroyed ${result.plan.consumes.join(', ') || 'no later checkpoint'}`;
    case 'destroy':
      return result.destroyed.length ? `destroyed ${result.destroyed.join(', ')}` : undefined;
    case 'prune':
      return result.pruned.length ? `pruned ${result.pruned.map((p: Json) => `${p.id} (${p.reason})`).join(', ')}` : undefined;
    case 'repair':
      return result.repaired.length ? `repaired: ${result.repaired.join('; ')}` : undefined;
    case 'clone':
      return `boot environment ${result.bootEnvironment} made from ${args[0]}: ${result.datasets.join(', ')}`;
    case 'activate':
      return `boot environment ${result.bootEnvironment.name} activated (${result.bootEnvironment.dataset} is the pool's bootfs)`;
    case 'hold':
    case 'release':
      return `${command === 'hold' ? 'held' : 'released'} ${result.checkpoint.id} (TID ${result.checkpoint.tid})`;
    case 'run':
    case 'rpm':
      return `${tx(result.transaction)}${result.rolledBack ? '; rolled back' : ''}`;
    case 'apt':
      if (!result.transaction) return undefined; // nothing to do, or not confirmed
      return `${tx(result.transaction)}${result.bootEnvironment ? `; in boot environment ${result.bootEnvironment.name}${result.destroyed ? ' (destroyed again)' : ''}` : ''}${result.rolledBack ? '; rolled back' : ''}`;
    case 'hook':
      if (result.checkpoint) return `transaction ${result.checkpoint.tid} begun by the ${args[1]} hook: ${result.checkpoint.title} (checkpoint ${result.checkpoint.id})`;
      if (result.transaction) return `${tx(result.transaction)} (the ${args[1]} hook)`;
      if (result.written) return `the ${args[1]} hook installed: ${result.written.join(', ')}`;
      if (result.removed) return `the ${args[1]} hook removed: ${result.removed.join(', ')}`;
      return undefined;
    default:
      return undefined;
  }
}

/** Commands whose refusals and failures are logged: the ones that change something. */
const CHANGING = new Set(['create', 'rollback', 'destroy', 'prune', 'repair', 'clone', 'activate', 'hold', 'release', 'run', 'rpm', 'apt', 'hook', 'undo']);

/** Logs how a command ended: what it did, or why it refused (usage errors are the caller's typo, not an event). */
export function logOutcome(command: string, args: readonly string[], result: Json | undefined, error: unknown): void {
  try {
    if (error !== undefined) {
      const e = error as { code?: string; message?: string };
      if (!CHANGING.has(command) || e.code === 'USAGE') return;
      syslog('warning', `zcp ${command} refused (${e.code ?? 'INTERNAL'}): ${e.message ?? String(error)}`);
      return;
    }
    const line = outcomeLine(command, args, result);
    if (line) syslog('notice', line);
  } catch {
    // a malformed result must not fail the command it describes
  }
}
