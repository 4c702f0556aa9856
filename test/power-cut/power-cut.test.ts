// The power cut: a two-dataset system on a pool whose disk image is a host
// file, so it outlives the guest. The first boot rolls back and, after the
// first dataset, resets the machine hard (sysrq b: nothing synced, no
// clean-up). The second boot imports the pool: zcp must show the interrupted
// rollback (the first dataset back, the second not), finish it with `zcp
// repair`, and leave both datasets byte for byte as the checkpoint had them.
// Runs on the host (it boots the guest twice); the zfs project can't span boots.
import { readFileSync, rmSync, truncateSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runInGuest } from '../guest/run.js';

const GUEST = fileURLToPath(new URL('./guest.mjs', import.meta.url));

describe('power cut (two guest boots)', () => {
  it('a rollback cut by a hard reset is shown after the reboot, finished by zcp repair, and nothing is rolled twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zcp-power-cut-'));
    const disk = join(dir, 'pool.img');
    writeFileSync(disk, '');
    truncateSync(disk, 512 * 1024 * 1024);
    try {
      const out: string[] = [];
      const first = await runInGuest({ command: ['node', GUEST, 'first'], disks: [disk], timeoutMs: 8 * 60_000, onOutput: (c) => out.push(c.toString()) });
      // The reset ends the guest with no exit status: the command never finished.
      expect(first.exitCode, out.join('')).toBeNull();
      expect(first.timedOut).toBe(false);
      const base = readFileSync(join(first.jobDir, 'base.json'), 'utf8');
      const second = await runInGuest({
        command: ['node', GUEST, 'second'],
        disks: [disk],
        env: { ZCP_POWER_CUT_BASE: base },
        timeoutMs: 8 * 60_000,
        onOutput: (c) => out.push(c.toString()),
      });
      expect(second.exitCode, `${second.failure ?? ''}\n${out.join('')}`).toBe(0);
      const r = JSON.parse(readFileSync(join(second.jobDir, 'report.json'), 'utf8')) as Record<string, unknown> & {
        pending: { target: { id: string }; rolled: string[]; remaining: string[]; problems: string[] };
        halfway: { root: string; var: string };
      };
      const b = JSON.parse(base) as { id: string; root: string; var: string };
      process.stdout.write(`power cut: after the reset zcp showed ${JSON.stringify(r.pending)}; zcp repair: ${JSON.stringify(r.repaired)}\n`);
      // Shown before anything is done: the first dataset back, the second not.
      expect(r.pending).toMatchObject({ target: { id: b.id }, rolled: ['pc/sys'], remaining: ['pc/sys/var'], problems: [] });
      expect(r.halfway.root).toBe(b.root);
      expect(r.halfway.var).not.toBe(b.var);
      expect(r.repaired).toEqual(expect.arrayContaining(['pc/sys was rolled back already', `rolled pc/sys/var back to ${b.id}`]));
      expect(r.pendingAfter).toBeNull();
      expect(r.rootBack).toBe(true);
      expect(r.varBack).toBe(true);
      expect(r.nextRollback).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 16 * 60_000);
});
