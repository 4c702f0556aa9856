/**
 * Channel programs as typed units. A {@link Program} is the whole Lua text a
 * pool runs (the parts programs share are Lua local functions with their own
 * parameters, {@link LuaFunction}, never fragments that lean on an outer
 * variable), whether it runs in syncing context, the type of its argument
 * table, and the one decoder that turns what the kernel returned into a typed
 * result (or a `CHANNEL_PROGRAM_ERROR` naming the program, never a cast).
 *
 * The kernel hands a program its argument as `...` (nvlist arrays become Lua
 * arrays) and returns its result as an nvlist: a Lua array comes back as an
 * object keyed "1", "2", ..., and Lua's int64 numbers as numbers (BigInt
 * beyond 2^53). `test/unit/programs.test.ts` runs every program on the host
 * under Lua 5.2 against a fake `zfs` table; the guest tests judge the kernel.
 * @module
 */
import type { NvValue } from '../addon.js';
import { ZfsError } from './errors.js';
import { type ProgramLimits, channelProgram } from './channel-program.js';

/** A Lua local function shared by programs: `lua` defines `local function NAME(...)`, and uses only its parameters and the `zfs` table. */
export interface LuaFunction {
  readonly name: string;
  readonly lua: string;
}

/** One channel program: its text, its context, its argument type `A` and its decoded result `R`. */
export interface Program<A extends Record<string, NvValue>, R> {
  readonly name: string;
  /** The whole text the kernel runs: `local args = ...`, the shared functions it uses, its body. */
  readonly lua: string;
  /** Runs in syncing context (it may change things with zfs.sync.*). */
  readonly sync: boolean;
  /** What the kernel returned, checked and typed. @throws {@link ZfsError} `CHANNEL_PROGRAM_ERROR` for any other shape. */
  decode(raw: unknown): R;
  /** Carries the argument type (never set). */
  readonly args?: A;
}

/** Defines a program from its body and the shared functions it calls. */
export function defineProgram<A extends Record<string, NvValue>, R>(spec: {
  name: string;
  body: string;
  uses?: readonly LuaFunction[];
  sync?: boolean;
  decode: (ret: Returned) => R;
}): Program<A, R> {
  const lua = ['local args = ...', ...(spec.uses ?? []).map((f) => f.lua), spec.body].join('\n');
  return {
    name: spec.name,
    lua,
    sync: spec.sync === true,
    decode: (raw) => spec.decode(new Returned(spec.name, raw, 'its result')),
  };
}

/**
 * Runs `program` on `pool` with `args` and decodes its result.
 * @throws {@link ZfsError} as {@link channelProgram}, and `CHANNEL_PROGRAM_ERROR` when the result has another shape.
 */
export async function runProgram<A extends Record<string, NvValue>, R>(pool: string, program: Program<A, R>, args: A, options: { limits?: ProgramLimits; growLimits?: boolean } = {}): Promise<R> {
  const raw = await channelProgram(pool, program.lua, { args, sync: program.sync, ...options });
  return program.decode(raw);
}

/**
 * A value a program returned, read with its shape checked: `at` names where
 * it is (for the error message), `program` which program returned it.
 */
export class Returned {
  constructor(
    private readonly program: string,
    readonly value: unknown,
    private readonly at: string,
  ) {}

  /** Refuses this value: it is not `want`. @throws {@link ZfsError} `CHANNEL_PROGRAM_ERROR`. */
  unexpected(want: string): never {
    throw new ZfsError({ code: 'CHANNEL_PROGRAM_ERROR', operation: 'channelProgram', message: `channel program ${this.program} returned ${describe(this.value)} as ${this.at}, not ${want}` });
  }

  private table(): Record<string, unknown> {
    const v = this.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) this.unexpected('a table');
    return v as Record<string, unknown>;
  }

  /** Whether the table has `key` (a Lua table never holds nil). */
  has(key: string): boolean {
    return this.table()[key] !== undefined;
  }

  /** The field `key` of a table (undefined inside when missing). */
  get(key: string): Returned {
    return new Returned(this.program, this.table()[key], `${this.at}.${key}`);
  }

  /** The table's entries, keys as strings (a Lua array's keys are "1", "2", ...). */
  entries(): [string, Returned][] {
    return Object.entries(this.table()).map(([k, v]) => [k, new Returned(this.program, v, `${this.at}[${JSON.stringify(k)}]`)]);
  }

  /** A Lua array (an object keyed "1".."n" once it crossed the kernel; an empty one may be missing), in order. */
  list(): Returned[] {
    if (this.value === undefined) return [];
    return this.entries()
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, v]) => v);
  }

  /** An integer (a BigInt beyond 2^53 is refused: no count or TID is that large). */
  number(): number {
    const v = this.value;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
    return this.unexpected('a number');
  }

  /** A number property's value, which may be a BigInt (uint64 beyond 2^53). */
  numeric(): number | bigint {
    const v = this.value;
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    return this.unexpected('a number');
  }

  string(): string {
    return typeof this.value === 'string' ? this.value : this.unexpected('a string');
  }

  /** A property value: a string or a number. */
  scalar(): string | number | bigint {
    const v = this.value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
    return this.unexpected('a string or a number');
  }

  /** `read(this)`, or undefined when missing. */
  optional<T>(read: (r: Returned) => T): T | undefined {
    return this.value === undefined ? undefined : read(this);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a table';
  return `a ${typeof v}`;
}
