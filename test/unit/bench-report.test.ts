// The benchmark's report: ratios to the case's limit and command rows, and
// the scaling plots drawn by vega-lite/vega as SVG (no browser).
import { describe, expect, it } from 'vitest';
import type { Row } from '../../bench/checkpoint-guest.js';
import { zfsPlots, zfsRatioTable } from '../../bench/report.js';

const st = (median: number) => ({ n: 10, min: median * 0.9, median, p95: median * 1.2 });
const rows: Row[] = [1, 20].flatMap((x) => [
  { case: `create ${x}`, tool: 'zcp Checkpoints.create', role: 'zcp' as const, series: 'create', x, stats: st(30 * x) },
  { case: `create ${x}`, tool: 'bare lzc_snapshot (addon)', role: 'limit' as const, series: 'create', x, stats: st(25 * x) },
  { case: `create ${x}`, tool: 'zfs snapshot -o zcp:...', role: 'command' as const, series: 'create', x, stats: st(150 * x) },
]);

describe('bench report', () => {
  it('gives each row its median over the case\'s limit and command', () => {
    const table = zfsRatioTable([...rows, { case: 'diff', tool: 'zcp Checkpoints.diff', role: 'zcp', stats: st(80) }], 30);
    expect(table).toContain('| create 20 | zcp Checkpoints.create | 10 | 540 | 600 | 720 | 1.20x | 0.20x |');
    expect(table).toContain('| create 1 | zfs snapshot -o zcp:... | 10 | 135 | 150 | 180 | 6.00x | 1.00x |');
    expect(table).toContain('| diff | zcp Checkpoints.diff | 10 | 72.0 | 80.0 | 96.0 |  |  |');
  });
  it('draws a line per tool over the series\' sizes, as SVG', async () => {
    const plots = await zfsPlots(rows);
    expect(plots.map(([name]) => name)).toEqual(['create-latency.svg']);
    const svg = plots[0]![1];
    expect(svg).toMatch(/^<svg /);
    for (const tool of ['zcp Checkpoints.create', 'bare lzc_snapshot (addon)', 'zfs snapshot -o zcp:...']) expect(svg).toContain(tool);
    expect(svg).toContain('datasets in the checkpoint');
    // A line per tool, a point per measured median, each labelled with its value.
    expect(svg.match(/class="mark-line role-mark/g)).toHaveLength(3);
    expect(svg.match(/aria-roledescription="point"/g)).toHaveLength(6);
    expect(svg).toContain('aria-label="datasets in the checkpoint: 20; median (ms, log scale): 600; tool: zcp Checkpoints.create"');
  });
});
