/**
 * `zcp bench`: checkpoint latency on a user's own pool, the addon (one
 * lzc_snapshot off the main thread) against the `zfs snapshot` command for
 * the same atomic snapshot, for 1 and 20 datasets. It works in a scratch
 * dataset it makes (POOL/zcp-bench-PID, never mounted) and destroys it and
 * everything in it afterwards, also when a step fails.
 * @module
 */
import { runChecked } from '../subprocess.js';
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';

/** min / median / p95 of one case, in milliseconds. */
export interface LatencyRow {
  case: string;
  tool: 'zcp addon' | 'zfs command';
  min: number;
  median: number;
  p95: number;
}

export interface LatencyResult {
  pool: string;
  scratch: string;
  iterations: number;
  rows: LatencyRow[];
}

/** min, median and p95 of timings (ms); bench/stats.ts uses it too. */
export function summarize(ms: readonly number[]): { min: number; median: number; p95: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { min: s[0]!, median: at(0.5), p95: at(0.95) };
}

async function zfsCommand(args: string[]): Promise<void> {
  await runChecked(['zfs', ...args]);
}

/** The scratch dataset zcp bench would use on `pool`. */
export function scratchName(pool: string): string {
  return `${pool}/zcp-bench-${process.pid}`;
}

/**
 * Measures; `iterations` snapshots per row.
 * @throws {@link ZfsError} (after cleaning up) when ZFS refuses a step; `DATASET_EXISTS` when the scratch dataset already exists.
 */
export async function checkpointLatency(pool: string, options: { iterations?: number } = {}): Promise<LatencyResult> {
  const iterations = options.iterations ?? 20;
  const scratch = scratchName(pool);
  if (await zfs.exists(scratch)) {
    throw new ZfsError({ code: 'DATASET_EXISTS', operation: 'bench', dataset: scratch, message: `${scratch} exists; zcp bench uses it as scratch and will not touch one it did not make` });
  }
  const made: string[] = [];
  try {
    await zfs.create(scratch, { canmount: 'off', 'zcp:role': 'bench' });
    made.push(scratch);
    const rows: LatencyRow[] = [];
    for (const count of [1, 20]) {
      const label = `${count} dataset${count > 1 ? 's' : ''} per checkpoint`;
      for (const tool of ['zcp addon', 'zfs command'] as const) {
        const group = `${scratch}/${tool === 'zcp addon' ? 'a' : 'c'}${count}`;
        await zfs.create(group, { canmount: 'off' });
        made.push(group);
        const datasets: string[] = [];
        for (let i = 0; i < count; i++) {
          await zfs.create(`${group}/d${i}`, { canmount: 'off' });
          made.push(`${group}/d${i}`);
          datasets.push(`${group}/d${i}`);
        }
        const ms: number[] = [];
        for (let i = 0; i < iterations; i++) {
          const snaps = datasets.map((d) => `${d}@b${i}`);
          const t0 = performance.now();
          if (tool === 'zcp addon') await zfs.snapshot(snaps);
          else await zfsCommand(['snapshot', ...snaps]);
          ms.push(performance.now() - t0);
        }
        rows.push({ case: label, tool, ...summarize(ms) });
      }
    }
    return { pool, scratch, iterations, rows };
  } finally {
    for (const ds of made.reverse()) {
      const snaps = (await zfs.listSnapshots(ds).catch(() => [])).map((s) => s.name);
      if (snaps.length) await zfs.destroySnapshots(snaps).catch(() => undefined);
      await zfs.destroy(ds).catch(() => undefined);
    }
  }
}
