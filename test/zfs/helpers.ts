import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { ZfsError } from '../../src/index.js';

/** Runs a zfs/zpool command (the oracle) and returns its stdout. */
export function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command that may fail; returns its status and output. */
export function attempt(cmd: string, ...args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

// Test files share one worker process and the pools: a random tag per file
// import keeps their names apart.
const tag = randomBytes(3).toString('hex');
let counter = 0;
/** A dataset name not used before in this test run. */
export function fresh(pool: string, prefix = 'ds'): string {
  counter += 1;
  return `${pool}/${prefix}${tag}x${counter}`;
}

/** Creates (and mounts) filesystems with the zfs command and returns their names. */
export function createFilesystems(...names: string[]): string[] {
  for (const n of names) run('zfs', 'create', '-p', n);
  return names;
}

/** The ZfsError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejection(p: Promise<unknown>, what?: string): Promise<ZfsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, what).toBeInstanceOf(ZfsError);
  return e as ZfsError;
}

/** The error a promise rejects with, whatever its class (fails the test if it resolves). */
export async function failure<E extends Error = Error & { code?: string; dataset?: string }>(p: Promise<unknown>): Promise<E> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as E;
}

/** Names of the snapshots of one dataset, as the zfs command lists them (oldest first). */
export function zfsSnapshots(dataset: string): string[] {
  return run('zfs', 'list', '-H', '-o', 'name', '-s', 'createtxg', '-t', 'snapshot', '-d', '1', dataset)
    .split('\n')
    .filter(Boolean);
}

/** Watches the event loop with a 5 ms timer: how late it fired at worst, and how often. */
export function lagMeter(): { stop: () => { maxLag: number; ticks: number } } {
  let last = performance.now();
  let maxLag = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLag = Math.max(maxLag, now - last - 5);
    last = now;
    ticks += 1;
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return { maxLag, ticks };
    },
  };
}

/** A finished command's status and output. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the test worker (vitest's RPC times out if it is blocked too long). */
export function spawnAsync(cmd: string, args: string[], input = '', env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * A pool on a device-mapper device over a loop file, whose I/O can be stopped
 * (`dmsetup suspend`) and started again: calls that wait for its txg then
 * sleep in the kernel, without taking a CPU. Guest only (root, dm-mod, loop).
 */
export function stallablePool(pool: string, size = '256M') {
  const file = `/tmp/${pool}.img`;
  const dm = `${pool}dm`;
  run('truncate', '-s', size, file);
  run('modprobe', 'loop');
  run('modprobe', 'dm-mod');
  const loop = run('losetup', '-f', '--show', file).trim();
  const sectors = run('blockdev', '--getsz', loop).trim();
  // No udev in the guest: make the /dev/mapper node ourselves.
  run('dmsetup', '--noudevsync', 'create', dm, '--table', `0 ${sectors} linear ${loop} 0`);
  run('dmsetup', 'mknodes', dm);
  run('zpool', 'create', '-O', 'mountpoint=none', pool, `/dev/mapper/${dm}`);
  let suspended = false;
  return {
    pool,
    suspend() {
      run('dmsetup', '--noudevsync', 'suspend', dm);
      suspended = true;
    },
    resume() {
      if (suspended) run('dmsetup', '--noudevsync', 'resume', dm);
      suspended = false;
    },
    /** Resumes if needed and removes the pool, the device and the file. */
    destroy() {
      this.resume();
      attempt('zpool', 'destroy', pool);
      attempt('dmsetup', '--noudevsync', 'remove', dm);
      attempt('losetup', '-d', loop);
      attempt('rm', '-f', file);
    },
  };
}
