/**
 * What the hooks do when a package manager calls them: begin a transaction
 * before it changes anything, end it after (committed, or failed when dpkg
 * left packages half-done).
 * @module
 */
import type { Checkpoint, Checkpoints } from '../checkpoint/checkpoints.js';
import { packagesOf } from '../checkpoint/packages.js';
import { readDpkgStatus } from '../pkgdb/dpkg.js';
import { diff, dpkgPackageSet } from '../pkgdb/packages.js';
import type { HistoryEntry } from '../transaction/history.js';
import { Transactions } from '../transaction/transactions.js';
import { brokenPackages } from './apt.js';

export type HookManager = 'apt' | 'dnf';
const KIND = { apt: 'apt', dnf: 'rpm' } as const;

/** Before the package manager runs: a checkpoint and a running transaction. */
export async function hookBegin(cps: Checkpoints, manager: HookManager, title: string, command?: readonly string[], ownerPid = process.ppid): Promise<Checkpoint> {
  // The transaction belongs to the package manager's process (this zcp ends right after).
  const { checkpoint } = await new Transactions(cps).begin({ kind: KIND[manager], title, ...(command ? { command } : {}), ownerPid });
  return checkpoint;
}

/**
 * After it ran: ends the newest running transaction a hook of `manager`
 * began. apt's Post-Invoke runs after a failed dpkg too, so for apt the
 * transaction fails when dpkg left packages half-done. Null when no hook
 * transaction is running (the pre hook could not make one).
 */
export async function hookEnd(cps: Checkpoints, manager: HookManager): Promise<{ entry: HistoryEntry; broken: string[] } | null> {
  const tx = new Transactions(cps);
  const running = (await tx.history()).filter((e) => e.state === 'running' && !e.rollback).reverse();
  const listed = running.length ? await cps.list() : [];
  for (const e of running) {
    const c = listed.find((x) => x.id === e.checkpoint);
    if (c?.kind !== KIND[manager]) continue;
    if (manager !== 'apt') return { entry: await tx.commit(e.tid), broken: [] };
    // The live dpkg status read once: for the half-done packages and for the changes.
    const live = await readDpkgStatus(cps.system.root).catch(() => undefined);
    const broken = (live ? brokenPackages(live) : []).map((p) => `${p.name} (${p.status!.state}${p.status!.flag === 'ok' ? '' : `, ${p.status!.flag}`})`);
    const changes = live ? await packagesOf(cps.system, e.checkpoint).then((before) => diff(before, dpkgPackageSet(live)), () => null) : null;
    const entry = await tx.end(e.tid, { ok: broken.length === 0, changes }, e);
    return { entry, broken };
  }
  return null;
}
