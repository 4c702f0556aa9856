// Bundles the CLI (dist/cli/main.js, as tsc wrote it) into one file in its
// place. A zcp command then starts by reading one file instead of ~50 modules:
// it matters where every apt run starts zcp twice (the hook), and in the
// emulated guest it halves the start-up (1.0-1.2 s of loading -> 0.4-0.5 s).
// The library (dist/index.js) stays as tsc wrote it.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/main.js',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18', // the oldest Node zcp supports: Debian 12's own nodejs
  // Loaded at run time from the package's node_modules; it finds the addon's build.
  external: ['node-gyp-build'],
  sourcemap: true, // follows tsc's maps back to src/
  logLevel: 'warning',
});
