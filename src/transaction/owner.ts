/**
 * The process a running transaction belongs to (zcp's own for `zcp run/apt/
 * rpm`, the package manager's for a hook), recorded in its history entry, so
 * `zcp repair` can tell a transaction still under way from one whose process
 * died (kill -9, a power cut): the pid, its start time (pids are reused) and
 * the boot it ran in. Linux /proc; elsewhere nothing is recorded and such
 * transactions stay as they are.
 * @module
 */
import { readFileSync } from 'node:fs';

export interface TransactionOwner {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot. */
  start: string;
  /** /proc/sys/kernel/random/boot_id. */
  boot: string;
}

function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // fields after comm start at 3: 22 - 3
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The owner record of process `pid`, or undefined where /proc can't tell. */
export function ownerOf(pid: number): TransactionOwner | undefined {
  const start = startOf(pid);
  const boot = bootId();
  return start && boot ? { pid, start, boot } : undefined;
}

/** Whether the owner's process is gone: another boot, no such pid, or a new process under its pid. */
export function ownerGone(owner: TransactionOwner): boolean {
  const boot = bootId();
  if (!boot) return false; // can't tell: never settle what may still run
  return boot !== owner.boot || startOf(owner.pid) !== owner.start;
}
