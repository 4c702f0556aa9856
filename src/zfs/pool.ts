/**
 * Pool properties (`bootfs` for boot environments). libzfs_core has no pool
 * properties, so these run the `zpool` command, asynchronously, behind the
 * same API and error type.
 * @module
 */
import { ZfsError, errno } from './errors.js';
import { nameProblem } from './names.js';
import { runTool, toolFailure } from './tool.js';

const POOL_PROP = /^([a-z][a-z0-9_]*|feature@[a-z0-9_]+|[a-z0-9_.-]+:[a-z0-9_.:-]+)$/;

function check(operation: string, pool: string, prop: string): void {
  const problem = nameProblem(pool, 'dataset') ?? (pool.includes('/') ? 'a pool name has no "/"' : undefined);
  if (problem) throw new ZfsError({ code: 'INVALID_NAME', errno: errno('EINVAL'), operation, dataset: pool, message: `${operation} ${pool}: invalid pool name: ${problem}` });
  if (!POOL_PROP.test(prop)) throw new ZfsError({ code: 'INVALID_PROPERTY', errno: errno('EINVAL'), operation, dataset: pool, message: `${operation} ${pool}: invalid pool property name ${JSON.stringify(prop)}` });
}

/**
 * A pool property's value as `zpool get -p` prints it (`bootfs`: the dataset
 * that boots, or `-` when unset).
 * @throws {@link ZfsError} `POOL_NOT_FOUND`, `INVALID_PROPERTY`, `INVALID_NAME`,
 * `ZFS_UNAVAILABLE` (no zpool command), `COMMAND_FAILED`.
 */
export async function getPoolProp(pool: string, prop: string): Promise<string> {
  check('getPoolProp', pool, prop);
  const r = await runTool('zpool', ['get', '-Hp', '-o', 'value', prop, pool]);
  if (r.code !== 0) throw toolFailure('zpool', 'getPoolProp', pool, r);
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
  const r = await runTool('zpool', ['set', `${prop}=${value}`, pool]);
  if (r.code !== 0) throw toolFailure('zpool', 'setPoolProp', pool, r);
}
