/**
 * Pool properties (`bootfs` for boot environments). libzfs_core has no pool
 * properties, so these run the `zpool` command, asynchronously, behind the
 * same API and error type.
 * @module
 */
import { CommandError, run as runProgram } from '../subprocess.js';
import { ZfsError, errno } from './errors.js';
import { nameProblem } from './names.js';

const POOL_PROP = /^([a-z][a-z0-9_]*|feature@[a-z0-9_]+|[a-z0-9_.-]+:[a-z0-9_.:-]+)$/;

/** zpool ARGS; code -1 when there is no zpool command. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await runProgram(['zpool', ...args]);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    if (e instanceof CommandError) return { code: -1, stdout: '', stderr: e.message };
    throw e;
  }
}

function check(operation: string, pool: string, prop: string): void {
  const problem = nameProblem(pool, 'dataset') ?? (pool.includes('/') ? 'a pool name has no "/"' : undefined);
  if (problem) throw new ZfsError({ code: 'INVALID_NAME', errno: errno('EINVAL'), operation, dataset: pool, message: `${operation} ${pool}: invalid pool name: ${problem}` });
  if (!POOL_PROP.test(prop)) throw new ZfsError({ code: 'INVALID_PROPERTY', errno: errno('EINVAL'), operation, dataset: pool, message: `${operation} ${pool}: invalid pool property name ${JSON.stringify(prop)}` });
}

function failure(operation: string, pool: string, r: { code: number; stderr: string }): ZfsError {
  const text = r.stderr.trim().split('\n')[0] ?? ''; // the reason; a usage text may follow
  let code: ZfsError['code'] = 'COMMAND_FAILED';
  if (r.code === -1) code = 'ZFS_UNAVAILABLE';
  else if (/^cannot open .*: no such pool/i.test(text)) code = 'POOL_NOT_FOUND';
  else if (/permission denied/i.test(text)) code = 'PERMISSION_DENIED';
  else if (/no such pool or dataset/i.test(text)) code = 'DATASET_NOT_FOUND';
  else if (/^(cannot set property|bad property list)|invalid property/i.test(text)) code = 'INVALID_PROPERTY';
  return new ZfsError({ code, operation, dataset: pool, message: `${operation} ${pool}: ${text || `zpool exited with ${r.code}`}` });
}

/**
 * A pool property's value as `zpool get -p` prints it (`bootfs`: the dataset
 * that boots, or `-` when unset).
 * @throws {@link ZfsError} `POOL_NOT_FOUND`, `INVALID_PROPERTY`, `INVALID_NAME`,
 * `ZFS_UNAVAILABLE` (no zpool command), `COMMAND_FAILED`.
 */
export async function getPoolProp(pool: string, prop: string): Promise<string> {
  check('getPoolProp', pool, prop);
  const r = await run(['get', '-Hp', '-o', 'value', prop, pool]);
  if (r.code !== 0) throw failure('getPoolProp', pool, r);
  return r.stdout.replace(/\n$/, '');
}

/**
 * Sets a pool property (`zpool set`), e.g. `bootfs` to activate a boot environment.
 * @throws {@link ZfsError} `POOL_NOT_FOUND`, `INVALID_PROPERTY` (the pool
 * refused the value), `DATASET_NOT_FOUND` (bootfs names no dataset),
 * `PERMISSION_DENIED`, `INVALID_NAME`, `ZFS_UNAVAILABLE` (no zpool command), `COMMAND_FAILED`.
 */
export async function setPoolProp(pool: string, prop: string, value: string): Promise<void> {
  check('setPoolProp', pool, prop);
  if (typeof value !== 'string' || /[\n\0]/.test(value)) {
    throw new ZfsError({ code: 'INVALID_PROPERTY', errno: errno('EINVAL'), operation: 'setPoolProp', dataset: pool, message: `setPoolProp ${pool}: the value must be one line of text` });
  }
  const r = await run(['set', `${prop}=${value}`, pool]);
  if (r.code !== 0) throw failure('setPoolProp', pool, r);
}
