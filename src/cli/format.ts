/**
 * Text and JSON shapes of the CLI's results. The JSON shapes are the stable
 * schema documented in the README (`zcp ... --json`).
 * @module
 */
import type { BootEnvironment, Checkpoint, RollbackPlan } from '../checkpoint/index.js';
import type { PackageDiff } from '../pkgdb/packages.js';

/** A checkpoint in --json output. */
export function checkpointJson(c: Checkpoint) {
  return {
    id: c.id,
    tid: c.tid,
    kind: c.kind,
    title: c.title,
    ...(c.command ? { command: c.command } : {}),
    state: c.state,
    important: c.important,
    created: c.created.toISOString(),
    used: c.used,
    held: c.held,
    clones: c.clones,
    snapshots: c.snapshots,
    missing: c.missing,
  };
}

export function bootEnvironmentJson(b: BootEnvironment) {
  return { name: b.name, kind: b.kind, dataset: b.dataset, datasets: b.datasets, origin: b.origin ?? null, active: b.active, current: b.current };
}

export function planJson(p: RollbackPlan) {
  return {
    target: checkpointJson(p.target),
    consumes: p.consumes.map((c) => c.id),
    destroy: p.destroy,
    datasets: p.datasets,
    packages: p.packages ?? null,
    ...(p.packageError ? { packageError: p.packageError } : {}),
  };
}

/** 2026-11-23 14:36 in local time. */
export function when(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function bytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}

/** One line of a title: newlines shown as ⏎ so a title can't forge table rows. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r?\n/g, '⏎').replace(/[\u0000-\u001f\u007f]/g, '?');
}

/**
 * A table with left-aligned columns; `scripted` (-H): no header, each row's
 * cells joined by one tab, as zfs list -H and zectl list -H print them.
 */
export function table(head: string[], rows: string[][], scripted = false): string[] {
  if (scripted) return rows.map((r) => r.map((c) => c.replace(/\t/g, ' ').trim()).join('\t'));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)];
}

export function listLines(checkpoints: Checkpoint[], bes: BootEnvironment[], scripted = false): string[] {
  const rows: string[][] = [];
  for (const b of bes) {
    const what = b.kind === 'clone' ? `boot environment from ${b.origin}` : b.kind === 'parent' ? `the system this one was cloned from (${b.dataset})` : `the system (${b.dataset})`;
    rows.push([b.active ? 'A' : ' ', b.current ? 'C' : ' ', b.name, '-', b.kind === 'clone' ? 'be' : 'live', what]);
  }
  for (const c of checkpoints) {
    const flags = [c.state === 'incomplete' ? '[incomplete]' : '', c.held ? '[held]' : '', c.important ? '[important]' : ''].filter(Boolean).join(' ');
    rows.push([' ', ' ', c.id, when(c.created), c.kind, `${oneLine(c.title)}${flags ? ` ${flags}` : ''}`]);
  }
  return table(['A', 'C', 'ID', 'DATE', 'KIND', 'TITLE'], rows, scripted);
}

type Change = { name: string; architecture: string; from: string; to: string };
type Pkg = { name: string; architecture: string; version: string };
const changeLine = (verb: string, c: Change) => `  ${verb.padEnd(11)} ${c.name}:${c.architecture} ${c.from} -> ${c.to}`;
const packageLine = (verb: string, p: Pkg) => `  ${verb.padEnd(11)} ${p.name}:${p.architecture} ${p.version}`;

/** What to do to the packages (a rollback's plan, an undo plan), one line per package. */
export function actionLines(a: { downgrade: Change[]; upgrade: Change[]; remove: Pkg[]; reinstall: Pkg[] }): string[] {
  return [
    ...a.downgrade.map((c) => changeLine('downgrade', c)),
    ...a.upgrade.map((c) => changeLine('upgrade', c)),
    ...a.remove.map((p) => packageLine('remove', p)),
    ...a.reinstall.map((p) => packageLine('reinstall', p)),
  ];
}

export function diffLines(d: PackageDiff): string[] {
  const out = [
    ...d.upgraded.map((c) => changeLine('upgraded', c)),
    ...d.downgraded.map((c) => changeLine('downgraded', c)),
    ...d.installed.map((p) => packageLine('installed', p)),
    ...d.removed.map((p) => packageLine('removed', p)),
  ];
  return out.length ? out : ['  (no package changes)'];
}

export function planLines(p: RollbackPlan): string[] {
  const out = [`rollback to ${p.target.id} (TID ${p.target.tid}, ${when(p.target.created)}: ${oneLine(p.target.title) || 'untitled'})`];
  out.push(`  datasets rolled back: ${p.datasets.join(', ')}`);
  if (p.consumes.length) out.push(`  later checkpoints destroyed: ${p.consumes.map((c) => c.id).join(', ')}`);
  if (p.packages) {
    const actions = actionLines(p.packages);
    out.push(...(actions.length ? actions : ['  no package changes (files only)']));
  } else {
    out.push(`  package plan unavailable: ${p.packageError ?? 'unknown'}`);
  }
  return out;
}
