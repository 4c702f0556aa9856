// Bundles the CLI (dist/cli/main.js, as tsc wrote it) into one CommonJS file,
// dist/cli/main.cjs, and leaves in main.js a small ES module that loads it
// (for whatever runs dist/cli/main.js: hooks an older zcp wrote).
// A zcp command then starts by reading one file instead of ~50 modules, and
// as CommonJS: Node's ES module loader, and the ES facades it builds for
// node:fs, child_process and crypto, cost 150-200 ms more per start in the
// emulated guest (0.70-0.77 s against 0.85-0.96 s for `zcp --version`; node
// alone: 0.45-0.49 s). It matters where every apt run starts zcp twice (the
// hook). The library (dist/index.js) stays as tsc wrote it.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const SHIM_MARK = '// zcp: the command is main.cjs';
const entry = 'dist/cli/main.js';
// Bundling the shim would bundle the last bundle: tsc must have written main.js afresh.
if (readFileSync(entry, 'utf8').includes(SHIM_MARK)) {
  console.error(`${entry} is the shim from an earlier bundle: run tsc first (npm run build:js)`);
  process.exit(1);
}
await build({
  entryPoints: [entry],
  outfile: 'dist/cli/main.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18', // the oldest Node zcp supports: Debian 12's own nodejs
  // Loaded at run time from the package's node_modules; it finds the addon's build.
  external: ['node-gyp-build'],
  // The code finds its package.json and addon from import.meta.url: the bundle's own file.
  define: { 'import.meta.url': 'zcpBundleUrl' },
  banner: { js: "const zcpBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true, // follows tsc's maps back to src/
  logLevel: 'warning',
});
// require, not import: an import would have Node scan the whole bundle for its exports first (0.7 s in the guest).
writeFileSync(entry, `#!/usr/bin/env node\n${SHIM_MARK} (bundled by scripts/bundle-cli.mjs); this loads it.\nimport { createRequire } from 'node:module';\ncreateRequire(import.meta.url)('./main.cjs');\n`);
for (const f of [entry, 'dist/cli/main.cjs']) chmodSync(f, 0o755);
