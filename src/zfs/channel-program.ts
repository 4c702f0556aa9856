/**
 * Running a channel program (lzc_channel_program) on a pool: the raw call
 * under the kernel's limits. Programs are written as typed units
 * (`lua.ts`); `props.ts` holds the listing and property calls built on them.
 *
 * Channel programs run under an instruction and a memory limit. zcp starts
 * with OpenZFS's defaults and, when a program runs out (thousands of
 * snapshots), runs it once more at the module's maximum limits, so listing
 * stays one call however many snapshots there are.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { NvValue } from '../addon.js';
import { lzc } from './call.js';
import { ZfsError, errno } from './errors.js';
import { checkName, checkUserProps, datasetOf, poolOf } from './names.js';
import { MAP, lzcError } from './translate.js';

/** Instruction and memory limits of one channel program run. */
export interface ProgramLimits {
  instructions: number;
  memory: number;
}

/** OpenZFS's defaults (ZCP_DEFAULT_INSTRLIMIT, ZCP_DEFAULT_MEMLIMIT). */
export const DEFAULT_LIMITS: ProgramLimits = { instructions: 10_000_000, memory: 10 * 1024 * 1024 };

async function moduleParam(name: string): Promise<number | undefined> {
  try {
    const v = Number((await readFile(`/sys/module/zfs/parameters/${name}`, 'utf8')).trim());
    return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The largest limits the kernel accepts (zfs_lua_max_instrlimit / _memlimit; 100M and 100 MiB by default). */
export async function maxLimits(): Promise<ProgramLimits> {
  return {
    instructions: (await moduleParam('zfs_lua_max_instrlimit')) ?? 100_000_000,
    memory: (await moduleParam('zfs_lua_max_memlimit')) ?? 100 * 1024 * 1024,
  };
}

/** Options of {@link channelProgram}. */
export interface ChannelProgramOptions {
  /** The program's argument (`local args = ...`): strings, booleans, integers, string arrays, objects. */
  args?: Record<string, NvValue>;
  /** Start with these limits instead of the defaults. */
  limits?: ProgramLimits;
  /** Run in syncing context, so it may change things (zfs.sync.*). Default false: read-only, faster. */
  sync?: boolean;
  /** When a limit is hit, run once more at the maximum limits. Default true. */
  growLimits?: boolean;
}

/**
 * Runs a ZFS channel program (Lua) on a pool and returns what it returned.
 * Numbers come back as JavaScript numbers, or BigInts beyond 2^53.
 * @throws {@link ZfsError} `CHANNEL_PROGRAM_ERROR` (syntax or run-time error:
 * the message has Lua's text), `CHANNEL_PROGRAM_TIMEOUT`, `CHANNEL_PROGRAM_MEMORY`,
 * `POOL_NOT_FOUND`, `NO_SPACE`, `PERMISSION_DENIED`, `ZFS_UNAVAILABLE`.
 */
export async function channelProgram(pool: string, program: string, options: ChannelProgramOptions = {}): Promise<unknown> {
  const op = 'channelProgram';
  checkName(op, pool, 'dataset');
  if (pool.includes('/')) {
    throw new ZfsError({ code: 'INVALID_NAME', errno: errno('EINVAL'), operation: op, dataset: pool, message: `${op}: "${pool}" is not a pool name` });
  }
  const args = options.args ?? {};
  let limits = options.limits ?? DEFAULT_LIMITS;
  const sync = options.sync === true;
  for (let attempt = 0; ; attempt++) {
    const out = await lzc(op, pool, (n) => n.channelProgram(pool, program, args, limits.instructions, limits.memory, sync));
    if (!out.errno) return out.result?.return;
    const code = MAP.channelProgram(out.errno, pool);
    if ((code === 'CHANNEL_PROGRAM_MEMORY' || code === 'CHANNEL_PROGRAM_TIMEOUT') && options.growLimits !== false && attempt === 0) {
      const max = await maxLimits();
      const grown = { instructions: Math.max(limits.instructions, max.instructions), memory: Math.max(limits.memory, max.memory) };
      if (grown.instructions !== limits.instructions || grown.memory !== limits.memory) {
        limits = grown;
        continue;
      }
    }
    if (sync && out.errno === errno('ENOSPC')) {
      // In syncing context ENOSPC is also the pool's answer when it is full;
      // Lua running out of memory at the largest limit is the unlikely one.
      throw lzcError(op, [pool], out, () => 'NO_SPACE');
    }
    const luaError = typeof out.result?.error === 'string' ? out.result.error.split('\nstack traceback')[0] : undefined;
    throw lzcError(op, [pool], out, MAP.channelProgram, luaError ? `channel program failed: ${luaError}` : undefined);
  }
}

