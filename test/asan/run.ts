/**
 * `npm run asan`: the addon built with AddressSanitizer (and LeakSanitizer),
 * run in the ZFS guest over every ZFS entry point and the package-database
 * parsers on real and corrupted input (exercise.ts). Fails on any
 * sanitizer error, and on any leak whose stack passes through the addon.
 * Node's own allocations at exit are not the addon's and are not counted.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../guest/boot-files.js';
import { runInGuest } from '../guest/run.js';

const dir = join(projectRoot, '.cache', 'asan');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
cpSync(join(projectRoot, 'native'), join(dir, 'native'), { recursive: true });
cpSync(join(projectRoot, 'binding.gyp'), join(dir, 'binding.gyp'));
writeFileSync(join(dir, 'package.json'), '{"name":"zcp-asan","private":true}\n');
symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
const sanitize = '-fsanitize=address -fno-omit-frame-pointer -g';
process.stdout.write('asan: building the addon with -fsanitize=address\n');
execFileSync('npx', ['node-gyp', 'rebuild'], {
  cwd: dir,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, CXXFLAGS: sanitize, CFLAGS: sanitize, LDFLAGS: '-fsanitize=address' },
});
const addonPath = join(dir, 'build', 'Release', 'zcp.node');
const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();

const result = await runInGuest({
  command: ['sh', '-c', `node --import tsx test/asan/exercise.ts asan 40 2> "$ZCP_JOB_DIR/asan.log"; status=$?; tail -5 "$ZCP_JOB_DIR/asan.log"; exit $status`],
  env: {
    ZCP_ADDON: addonPath,
    LD_PRELOAD: libasan,
    // Node is not built with ASan: only the addon's code is instrumented.
    ASAN_OPTIONS: 'detect_leaks=1:verify_asan_link_order=0:abort_on_error=0:exitcode=0',
    LSAN_OPTIONS: 'exitcode=0:max_leaks=0',
  },
  pools: [{ name: 'asan', size: '512M' }],
  timeoutMs: 20 * 60_000,
});
const log = readFileSync(join(result.jobDir, 'asan.log'), 'utf8');
const errors = log.match(/ERROR: AddressSanitizer: .*/g) ?? [];
// A leak report is a block that starts with "Direct leak" or "Indirect leak".
const leaks = log.split(/\n(?=(?:Direct|Indirect) leak of )/).filter((b) => /^(Direct|Indirect) leak of /.test(b));
// Node is not torn down at exit, so V8 leaves allocations behind, some made
// while the addon called into N-API. A leak is the addon's when the first
// frame outside the allocator and the C libraries under it is in zcp.node.
const LIBRARIES = /libasan|asan_|libstdc\+\+|libnvpair|libzfs_core|libuutil|libc\.so|libc-/;
function isOurs(block: string): boolean {
  const frames = block.split('\n').filter((l) => /^\s+#\d+ /.test(l));
  const first = frames.find((f) => !LIBRARIES.test(f));
  return first !== undefined && /zcp\.node|native\/(zfs|pkgdb|addon)/.test(first);
}
const ours = leaks.filter(isOurs);
process.stdout.write(
  `asan: exit ${result.exitCode}, ${errors.length} sanitizer error(s), ${leaks.length} leak report(s) at exit, ${ours.length} through the addon\n`,
);
for (const e of errors) process.stdout.write(`  ${e}\n`);
for (const b of ours) process.stdout.write(`${b.split('\n').slice(0, 12).join('\n')}\n`);
// exercise.ts exits non-zero when any call misbehaves (an unexpected rejection).
process.exitCode = result.exitCode === 0 && errors.length === 0 && ours.length === 0 ? 0 : 1;
if (result.failure) process.stderr.write(`asan: ${result.failure}\n`);
