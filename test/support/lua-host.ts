// Runs zcp's channel programs on the host: syntax with luac5.2 -p, logic under
// lua5.2 against the fake `zfs` table of fake-zfs.lua. The kernel's nvlist ->
// Lua conversion is mirrored (arrays become Lua arrays, objects tables) and the
// result comes back as the kernel returns it (tables as objects keyed by
// strings), so the program's own decoder reads it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NvValue } from '../../src/addon.js';
import type { Program } from '../../src/zfs/lua.js';

const FAKE = fileURLToPath(new URL('./fake-zfs.lua', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zcp-lua-'));
let cases = 0;

/** A dataset or snapshot of the fake pool. */
export interface FakeObject {
  props: Record<string, number | string>;
  user?: Record<string, string>;
  clones?: string[];
  source?: Record<string, string>;
}

/** The fake pool: objects by full name, the txg new snapshots get, and injected failures (`snapshot:NAME`, `set_prop:NAME` fail check and sync; `sync_snapshot:NAME`, `sync_set_prop:NAME` the sync only; `destroy:NAME` → errno). */
export interface FakePool {
  objects: Record<string, FakeObject>;
  txg?: number;
  fail?: Record<string, number>;
}

/** `reads`: how many reads (exists, get_prop, checks, listings) the program made: each holds a dataset in the kernel. */
export type HostRun<R> = ({ ok: true; result: R } | { ok: false; error: string }) & { objects: Record<string, FakeObject>; calls: Record<string, string>; reads: number };

/** A Lua literal of a JS value: strings as pure-ASCII quoted strings (\ddd for the rest). */
export function luaLiteral(v: unknown): string {
  if (typeof v === 'string') {
    let out = '"';
    for (const b of Buffer.from(v, 'utf8')) out += b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
    return `${out}"`;
  }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `{${v.map(luaLiteral).join(', ')}}`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `[${luaLiteral(k)}] = ${luaLiteral(x)}`)
      .join(', ')}}`;
  }
  throw new Error(`no Lua literal for ${typeof v}`);
}

/** luac5.2 -p over the program's text: '' when it parses, else luac's message. */
export function syntaxErrors(lua: string): string {
  const r = spawnSync('luac5.2', ['-p', '-'], { input: lua, encoding: 'utf8' });
  if (r.error) throw r.error; // no luac5.2: scripts/setup.sh installs lua5.2
  return r.status === 0 ? '' : r.stderr.trim();
}

/** Runs `program` with `args` on the fake `pool`; the result decoded by the program's own decoder. */
export function runOnHost<A extends Record<string, NvValue>, R>(program: Program<A, R>, args: A, pool: FakePool): HostRun<R> {
  const file = join(work, `case-${++cases}.lua`);
  writeFileSync(file, `return {source = ${luaLiteral(program.lua)}, sync = ${program.sync}, args = ${luaLiteral(args)}, pool = ${luaLiteral({ txg: 100, fail: {}, ...pool })}}\n`);
  const r = spawnSync('lua5.2', [FAKE, file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`lua5.2 failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { ok: boolean; ret?: unknown; error?: string; objects: Record<string, FakeObject>; calls?: Record<string, string>; reads: number };
  const calls = out.calls ?? {};
  if (!out.ok) return { ok: false, error: out.error ?? '', objects: out.objects, calls, reads: out.reads };
  return { ok: true, result: program.decode(out.ret), objects: out.objects, calls, reads: out.reads };
}
