/**
 * Loads the native addon (build/Release/zcp.node) once, on first use, so that
 * importing zcp never fails just because a part that is not used is missing.
 * @internal
 * @module
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What the native ZFS workers resolve with; src/zfs turns it into values or a ZfsError. */
export interface LzcOutcome {
  /** Set when ZFS can't be used here: the reason names the missing piece. */
  unavailable?: string;
  errno?: number;
  /** lzc's per-name error list (errlist), in the kernel's order. */
  errors?: { name: string; errno: number }[];
  value?: boolean | string;
}

export interface NativeZfs {
  available(): Promise<LzcOutcome>;
  exists(name: string): Promise<LzcOutcome>;
  snapshot(names: string[], props?: Record<string, string>): Promise<LzcOutcome>;
}

export interface NativeAddon {
  zfs: NativeZfs;
}

// src/ and dist/ both sit one level below the package root.
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
let cached: NativeAddon | undefined;

export function addon(): NativeAddon {
  if (!cached) {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    try {
      cached = load(packageRoot);
    } catch (e) {
      throw new Error(
        `zcp: the native addon is not built or does not load (${(e as Error).message}); ` +
          'run `npm install` (or `npm run build`) in the zcp package',
        { cause: e },
      );
    }
  }
  return cached;
}
