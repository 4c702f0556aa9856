// Builds the C++ unit tests of native/pkgdb under ASan and UBSan and runs
// them (part of npm test; exit status is the tests').
//   npx tsx test/native/run.ts
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, SANITIZE, buildWithPkgdb } from './build.js';
import { rpmdbFixtures } from '../shared-fixtures.js';

const binary = buildWithPkgdb(join(ROOT, '.cache/native/pkgdb_test'), [join(ROOT, 'test/native/pkgdb_test.cc')], SANITIZE);
const result = spawnSync(binary, [rpmdbFixtures(), join(ROOT, 'test/fuzz/corpus')], {
  stdio: 'inherit',
  env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
});
process.exit(result.status ?? 1);
