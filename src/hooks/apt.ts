/**
 * The APT hook: an apt.conf.d snippet whose DPkg::Pre-Invoke and
 * DPkg::Post-Invoke make every dpkg run of apt a zcp transaction (as
 * snapper's apt hook takes pre/post snapshots). The hook lines end in
 * `|| true` and zcp itself never fails them: a hook must never stop apt.
 * @module
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { DpkgPackage } from '../pkgdb/dpkg.js';
import { type HookFile, hookCommand } from './files.js';

/** Where the snippet goes under a system root. */
export function aptHookPath(root: string): string {
  return join(root, 'etc/apt/apt.conf.d/80zcp');
}

/** The snippet: `zcp` is the argv that reaches this system's zcp (node, the CLI, --dataset/--root as installed). */
export function aptHook(root: string, zcp: readonly string[]): HookFile {
  // Unquoted $ZCP_TRANSACTION is safe: it is empty or a TID (digits). No double quotes: apt.conf strings cannot hold them.
  // apt decodes %XX in a configuration string (%27 is a quote): every % is written as %25,
  // so a path with a % in it reaches the shell as the same path, never as syntax.
  const run = (phase: string) => `[ -z $ZCP_TRANSACTION ] && ${hookCommand(zcp, phase, 'apt')} || true`.replace(/%/g, '%25');
  return {
    path: aptHookPath(root),
    text: [
      '// Written by `zcp hook install apt`; `zcp hook remove apt` takes it away.',
      '// Every dpkg run of apt becomes a zcp transaction: a checkpoint before,',
      '// its package changes (or its failure) after. It never stops apt: without',
      '// ZFS or without space zcp warns once and apt goes on.',
      `DPkg::Pre-Invoke { "${run('pre')}"; };`,
      `DPkg::Post-Invoke { "${run('post')}"; };`,
      '',
    ].join('\n'),
  };
}

/** The apt command line that runs this hook (the nearest apt, apt-get, aptitude or unattended-upgrade ancestor), or undefined. Linux /proc only. */
export function aptCommandLine(start = process.ppid): string[] | undefined {
  return aptProcess(start)?.argv;
}

/** The apt process that runs this hook: its pid and command line. */
export function aptProcess(start = process.ppid): { pid: number; argv: string[] } | undefined {
  let pid = start;
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const exe = readlinkSync(`/proc/${pid}/exe`);
      const name = (argv[0] ?? exe).split('/').pop() ?? '';
      if (/^(apt|apt-get|aptitude|unattended-upgrade|unattended-upgr)$/.test(name) || /\/(apt|apt-get|aptitude)$/.test(exe)) {
        return { pid, argv: [name, ...argv.slice(1)] };
      }
      // the stat line: pid (comm) state ppid ...; comm may hold spaces and parentheses
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Packages dpkg left half-done (half-installed, unpacked, half-configured, triggers pending or awaited, or needing a reinstall): the sign of a failed run. */
export function brokenPackages(packages: readonly DpkgPackage[]): DpkgPackage[] {
  const fine = new Set(['installed', 'config-files', 'not-installed']);
  return packages.filter((p) => p.status !== undefined && (!fine.has(p.status.state) || p.status.flag === 'reinstreq'));
}
