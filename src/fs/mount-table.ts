/**
 * The kernel's mount table (Linux /proc/self/mountinfo), in the order the
 * mounts were made: which datasets are mounted where, and what a transaction
 * that died left mounted. Empty elsewhere (callers then go by properties).
 * @module
 */
import { readFileSync } from 'node:fs';

export interface MountEntry {
  mountpoint: string;
  fstype: string;
  source: string;
}

/** mountinfo escapes blanks, tabs, newlines and backslashes as octal. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses mountinfo text: oldest mount first. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const [fstype, source] = right.split(' ');
    const mountpoint = left.split(' ')[4];
    if (!fstype || source === undefined || !mountpoint) continue;
    out.push({ mountpoint: unescape(mountpoint), fstype, source: unescape(source) });
  }
  return out;
}

/** The mount table now, oldest first; empty where there is no /proc/self/mountinfo. */
export function mountTable(): MountEntry[] {
  try {
    return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}
