// The guest harness itself, on the host: exit statuses come back, output is a
// pipe without terminal line endings, a set-up failure and a hung guest are
// reported as failures with a clear message. Each test boots a guest.
import { describe, expect, it } from 'vitest';
import { runInGuest } from '../guest/run.js';

function collect() {
  const chunks: Buffer[] = [];
  return { onOutput: (c: Buffer) => chunks.push(c), text: () => Buffer.concat(chunks).toString() };
}

describe('guest harness', () => {
  it('runs a command in the project directory with zfs.ko and pools, and returns its status', async () => {
    const out = collect();
    const r = await runInGuest({
      command: ['sh', '-c', 'pwd; test -t 1 && echo tty || echo pipe; echo "env=$ZCP_HARNESS_TEST"; zpool list -H -o name; ls /sys/module/zfs >/dev/null && echo zfs-loaded; exit 7'],
      env: { ZCP_HARNESS_TEST: 'it works' },
      pools: [{ name: 'harness', size: '256M' }],
      onOutput: out.onOutput,
      timeoutMs: 5 * 60_000,
    });
    expect(r.exitCode).toBe(7);
    expect(r.failure).toMatch(/status 7/);
    expect(out.text()).toBe(`${process.cwd()}\npipe\nenv=it works\nharness\nzfs-loaded\n`);
    expect(r.bootSeconds).toBeGreaterThan(0);
    expect(r.modprobeSeconds).toBeGreaterThan(0);
  });

  it('reports a set-up failure (a pool that cannot be made) as status 125 with the reason', async () => {
    const out = collect();
    const r = await runInGuest({
      command: ['true'],
      pools: [{ name: '1-not-a-pool-name', size: '256M' }],
      onOutput: out.onOutput,
      timeoutMs: 5 * 60_000,
    });
    expect(r.exitCode).toBe(125);
    expect(r.failure).toMatch(/guest set-up failed: zcp-guest: zpool create 1-not-a-pool-name/);
  });

  it('kills a hung guest at the time limit and says so', async () => {
    const r = await runInGuest({ command: ['sleep', '600'], loadZfs: false, onOutput: () => {}, timeoutMs: 15_000 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.failure).toMatch(/killed after 15 s \(time limit\)/);
    expect(r.wallSeconds).toBeLessThan(60);
  });
});
