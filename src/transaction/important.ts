/**
 * Which package changes make a transaction important (kept longer by prune)
 * and mean a reboot is needed: the kernel, the C library, init.
 * @module
 */
import type { PackageDiff } from '../pkgdb/packages.js';

const PATTERNS: { what: string; re: RegExp }[] = [
  { what: 'kernel', re: /^(linux-image-|linux-modules-|kernel$|kernel-core$|kernel-modules|kernel-default$)/ },
  { what: 'libc', re: /^(libc6|libc-bin|glibc)$/ },
  { what: 'init', re: /^(systemd|systemd-sysv|sysvinit-core|init|upstart|openrc|runit-init)$/ },
];

/** The kinds (kernel, libc, init) a set of changes touches. */
export function touches(d: PackageDiff): string[] {
  const names = [...d.installed, ...d.removed].map((p) => p.name).concat([...d.upgraded, ...d.downgraded].map((c) => c.name));
  return PATTERNS.filter((p) => names.some((n) => p.re.test(n))).map((p) => p.what);
}

/** The same for a list of package names (apt's simulation). */
export function touchesNames(names: readonly string[]): string[] {
  return PATTERNS.filter((p) => names.some((n) => p.re.test(n))).map((p) => p.what);
}
