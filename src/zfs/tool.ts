/**
 * The `zpool` and `zfs` commands, for what libzfs_core can't do (pool
 * properties) or does wrong (a mountpoint under an altroot): run
 * asynchronously, their failures mapped onto the same ZfsError codes.
 * @module
 */
import { CommandError, run } from '../subprocess.js';
import { ZfsError } from './errors.js';

/** What a run of the command gave; code -1 when the command is not there. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tool ARGS`; a missing command is code -1, not an exception. */
export async function runTool(tool: 'zpool' | 'zfs', args: string[]): Promise<ToolResult> {
  try {
    const r = await run([tool, ...args]);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    if (e instanceof CommandError) return { code: -1, stdout: '', stderr: e.message };
    throw e;
  }
}

/**
 * The ZfsError for a failed run, from the first line of its stderr (the
 * reason; a usage text may follow). `missing` says why the command was
 * needed, for a machine without it.
 */
export function toolFailure(tool: 'zpool' | 'zfs', operation: string, subject: string, r: ToolResult, missing?: string): ZfsError {
  const text = r.stderr.trim().split('\n')[0] ?? '';
  let code: ZfsError['code'] = 'COMMAND_FAILED';
  if (r.code === -1) code = 'ZFS_UNAVAILABLE';
  else if (/^cannot open .*: no such pool/i.test(text)) code = 'POOL_NOT_FOUND';
  else if (/permission denied/i.test(text)) code = 'PERMISSION_DENIED';
  else if (/no such pool or dataset|dataset does not exist/i.test(text)) code = 'DATASET_NOT_FOUND';
  else if (/^(cannot set property|bad property list)|invalid property/i.test(text)) code = 'INVALID_PROPERTY';
  const why = r.code === -1 && missing ? `${missing}, and the ${tool} command is missing: ${text}` : text || `${tool} exited with ${r.code}`;
  return new ZfsError({ code, operation, dataset: subject, message: `${operation} ${subject}: ${why}` });
}
