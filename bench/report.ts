/**
 * The ZFS benchmark's report: the table of ratios (each row's median over
 * its case's limit, the bare libzfs_core call, and over its case's command,
 * what a script would run) and the scaling plots.
 */
import type { Row } from './checkpoint-guest.js';
import { type Point, lineChart } from './plot.js';
import { fmt } from './stats.js';

const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : '');

/** The markdown table: min, median, p95, and the ratios to the case's limit and command rows. */
export function zfsRatioTable(rows: readonly Row[], iterations: number): string {
  return ratioTable(
    rows,
    `ZFS in the guest (ms; up to ${iterations} calls per row, fewer where a call takes seconds). "x limit": the row's median over the bare libzfs_core call's in the same case (below 1.30x is the target for zcp's create); "x command": over the \`zfs\` (or \`dpkg-query\`) command's:`,
    ['limit', 'command'],
  );
}

/** The create floor's table (`--only floor`): each row against the bare lzc_snapshot of its case. */
export function floorTable(rows: readonly Row[], iterations: number): string {
  return ratioTable(
    rows,
    `How low a create can go in the guest, whatever the format (ms; ${iterations} rounds, every row once per round, interleaved). "x limit": the row's median over the bare \`lzc_snapshot\`'s of the same datasets:`,
    ['limit'],
  );
}

/** Rows as a markdown table with a ratio column per role given (the row's median over that role's row in its case). */
function ratioTable(rows: readonly Row[], intro: string, roles: readonly ('limit' | 'command')[]): string {
  const lines = [intro, '', `| case | tool | n | min | median | p95 | ${roles.map((r) => `x ${r}`).join(' | ')} |`, `| --- | --- | ---: | ---: | ---: | ---: | ${roles.map(() => '---:').join(' | ')} |`];
  for (const row of rows) {
    const ofRole = (role: Row['role']) => rows.find((r) => r.case === row.case && r.role === role)?.stats.median;
    const s = row.stats;
    lines.push(`| ${row.case} | ${row.tool} | ${s.n} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p95)} | ${roles.map((r) => ratio(s.median, ofRole(r))).join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * The apt hook's table: apt-get with and without the hook (the ratio, and
 * the time the hook adds per apt run), then where the added time goes.
 */
export function aptHookTable(rows: readonly Row[], iterations: number): string {
  // Each case's own plain apt-get row is what its zcp rows are measured against.
  const plainOf = (c: string) => rows.find((r) => r.case === c && r.role === 'command')?.stats.median;
  const hookRow = rows.find((r) => r.role === 'zcp');
  const hooked = hookRow?.stats.median;
  const plain = hookRow && plainOf(hookRow.case);
  const lines = [
    `The apt hook and zcp apt on the real Debian 12 root in the guest (ms; ${iterations} runs per row unless n says otherwise). "x without": the row's median over plain apt-get's in the same case${hooked && plain ? `; the hook adds ${fmt(hooked - plain)} ms per apt run` : ''}:`,
    '',
    '| case | tool | n | min | median | p95 | x without |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    const s = row.stats;
    lines.push(`| ${row.case} | ${row.tool} | ${s.n} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p95)} | ${row.role ? ratio(s.median, plainOf(row.case)) : ''} |`);
  }
  return lines.join('\n');
}

/** The scaling plots, as [file name, SVG]: create latency over datasets, list time over checkpoints. */
export async function zfsPlots(rows: readonly Row[]): Promise<[string, string][]> {
  const points = (series: string): Point[] => rows.filter((r) => r.series === series && r.x !== undefined).map((r) => ({ tool: r.tool, x: r.x!, ms: r.stats.median }));
  const out: [string, string][] = [];
  const create = points('create');
  if (create.length) out.push(['create-latency.svg', await lineChart(create, { title: 'Creating one checkpoint: zcp, the bare lzc_snapshot, the zfs command', x: 'datasets in the checkpoint' })]);
  const list = points('list');
  if (list.length) out.push(['list-scaling.svg', await lineChart(list, { title: 'Listing the checkpoints of a system: zcp and zfs list', x: 'checkpoints' })]);
  return out;
}
