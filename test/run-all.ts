/**
 * `npm test`: build, type-check, then every vitest project where it belongs:
 * `unit` on the host under Node 20 and again under Node 24, `harness` on the
 * host (it boots guests to test the harness), the C++ unit tests of the
 * parsers under ASan/UBSan and a short libFuzzer pass over each parser, the
 * addon under AddressSanitizer in the guest, and `zfs` inside the qemu guest with the real OpenZFS kernel
 * module, in one boot; then the demo (the README's main command). Ends with
 * one summary line counting every test of every run. (scripts/setup.sh,
 * which installs the machine's packages, runs before this.)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './guest/boot-files.js';
import { GUEST_JOB_DIR, runInGuest } from './guest/run.js';
import { TEST_POOLS } from './zfs/pools.js';
import { ensureNode24 } from './node24.js';
import { runDebianProject } from './debian/run-guest.js';

const reports = join(projectRoot, '.cache', 'reports');
const FUZZ_SECONDS = 15;
const vitest = join(projectRoot, 'node_modules', 'vitest', 'vitest.mjs');

interface RunSummary {
  label: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Why the run failed as a whole (no report, crash, non-zero exit). */
  problem?: string;
  /** Each failed test with its message's first line: the summary is what a CI log keeps. */
  failures?: string[];
  seconds: number;
}
const runs: RunSummary[] = [];

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

/** Runs a command in the project; true if it exited 0. */
function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const r = spawnSync(cmd, args, { cwd: projectRoot, stdio: 'inherit', env });
  return r.status === 0;
}

function readReport(label: string, file: string, exitOk: boolean, seconds: number, why?: string): void {
  if (!existsSync(file)) {
    runs.push({ label, passed: 0, failed: 0, skipped: 0, problem: why ?? 'no test report was written', seconds });
    return;
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numTotalTestSuites: number;
    success: boolean;
    testResults?: { name?: string; message?: string; assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
  };
  const failures: string[] = [];
  for (const file of r.testResults ?? []) {
    for (const a of file.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      const first = (a.failureMessages?.[0] ?? '').split('\n')[0]!.slice(0, 300);
      failures.push(`${a.fullName}: ${first}`);
    }
    // A file that failed to load has no tests, only a message.
    if (file.message && !(file.assertionResults ?? []).length) failures.push(`${file.name ?? '?'}: ${file.message.split('\n')[0]!.slice(0, 300)}`);
  }
  const summary: RunSummary = {
    label,
    passed: r.numPassedTests,
    failed: r.numFailedTests,
    skipped: r.numPendingTests + r.numTodoTests,
    seconds,
    ...(failures.length ? { failures } : {}),
  };
  if (!exitOk || !r.success) summary.problem = why ?? 'the run failed (see its output above)';
  if (r.numPassedTests + r.numFailedTests === 0) summary.problem = 'no tests ran';
  runs.push(summary);
}

function vitestArgs(project: string, reportFile: string): string[] {
  return [vitest, 'run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`];
}

/** A vitest project on the host, under the given Node binary. */
function runHost(project: string, label: string, node: string): void {
  const file = join(reports, `${label.replace(/\W+/g, '-').replace(/-$/, '')}.json`);
  rmSync(file, { force: true });
  step(`${label}: ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
  const t0 = Date.now();
  const ok = sh(node, vitestArgs(project, file));
  readReport(label, file, ok, (Date.now() - t0) / 1000);
}

/** A check that is not a vitest project: one pass or one failure in the count. */
function runCheck(label: string, what: string, args: string[]): void {
  step(`${label}: ${what}`);
  const t0 = Date.now();
  const ok = sh('npx', args);
  const seconds = (Date.now() - t0) / 1000;
  runs.push({ label, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, seconds, ...(ok ? {} : { problem: 'see its output above' }) });
}

/** Counts a guest run of a vitest project: its report from the job folder, and any skipped test as a failure (a test that needs ZFS must run). */
function countGuestRun(label: string, report: string, result: { jobDir: string; exitCode: number | null; wallSeconds: number; failure?: string }, timing: string): void {
  const hostReport = join(result.jobDir, 'report.json');
  if (existsSync(hostReport)) copyFileSync(hostReport, report);
  process.stdout.write(`guest: ${timing}, whole run ${result.wallSeconds.toFixed(1)} s\n`);
  readReport(label, report, result.exitCode === 0, result.wallSeconds, result.failure);
  const summary = runs[runs.length - 1];
  if (summary && summary.skipped > 0) summary.problem = `${summary.skipped} guest test(s) skipped or todo: they must run`;
}

async function runGuest(): Promise<void> {
  const label = 'zfs (guest)';
  step(`${label}: real zfs.ko in a qemu guest, pools ${TEST_POOLS.map((p) => `${p.name} (${p.size})`).join(', ')}`);
  const file = join(reports, 'zfs-guest.json');
  rmSync(file, { force: true });
  const result = await runInGuest({
    // --expose-gc reaches the test worker too: the leak test collects before it measures.
    command: ['node', '--expose-gc', ...vitestArgs('zfs', `${GUEST_JOB_DIR}/report.json`)],
    pools: [...TEST_POOLS],
    // 14 min on a quiet day here, 25-30 min when the host is busy (the emulated
    // kernel's txg syncs slow most); a hang still ends well inside CI's 90 min.
    timeoutMs: 60 * 60_000,
  });
  countGuestRun(label, file, result, `boot ${result.bootSeconds?.toFixed(1) ?? '?'} s, modprobe zfs ${result.modprobeSeconds?.toFixed(1) ?? '?'} s`);
}

/** The `debian` project: the real Debian root (built on the host first, or cached) in a guest boot of its own. */
async function runDebianGuest(): Promise<void> {
  const label = 'debian (guest)';
  step(`${label}: a real bookworm root (mmdebstrap, cached by its inputs) on ZFS, real apt and dpkg`);
  const file = join(reports, 'debian-guest.json');
  rmSync(file, { force: true });
  const result = await runDebianProject(vitestArgs('debian', `${GUEST_JOB_DIR}/report.json`));
  countGuestRun(label, file, result, `root build ${result.buildSeconds.toFixed(0)} s (0: cached), boot ${result.bootSeconds?.toFixed(1) ?? '?'} s`);
}

async function main(): Promise<number> {
  const t0 = Date.now();
  mkdirSync(reports, { recursive: true });

  step('build: native addon (node-gyp, incremental) and TypeScript');
  // configure again: the ABI check joins the build once setup.sh has installed the ZFS headers.
  const built =
    sh('npx', ['node-gyp', 'configure']) && sh('npx', ['node-gyp', 'build']) && sh('npm', ['run', '--silent', 'build:js']);
  step('typecheck: src, tests, bench, scripts; API docs build without warnings');
  const typed = sh('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) && sh('npx', ['typedoc', '--logLevel', 'Warn']);
  if (!built) {
    process.stdout.write('\nbuild failed: no tests run\n0 passed, 1 failed\n');
    return 1;
  }

  runHost('unit', 'unit (node 20)', process.execPath);
  const node24 = ensureNode24();
  if (node24.ok) runHost('unit', 'unit (node 24)', node24.path);
  else runs.push({ label: 'unit (node 24)', passed: 0, failed: 0, skipped: 0, problem: node24.reason, seconds: 0 });
  runHost('harness', 'guest harness', process.execPath);
  runCheck('c++ (asan+ubsan)', 'native/pkgdb C++ unit tests under AddressSanitizer and UBSan', ['tsx', 'test/native/run.ts']);
  // A short pass per target in every run (corpus replay plus new inputs); `npm run fuzz` is the long one.
  runCheck('fuzz (libFuzzer)', `every parser fuzz target for ${FUZZ_SECONDS} s`, ['tsx', 'test/fuzz/run.ts', '--seconds', String(FUZZ_SECONDS)]);
  runCheck('asan (guest)', 'the addon under AddressSanitizer/LeakSanitizer', ['tsx', 'test/asan/run.ts']);
  try {
    await runGuest();
  } catch (e) {
    runs.push({ label: 'zfs (guest)', passed: 0, failed: 0, skipped: 0, problem: (e as Error).message, seconds: 0 });
  }
  try {
    await runDebianGuest();
  } catch (e) {
    runs.push({ label: 'debian (guest)', passed: 0, failed: 0, skipped: 0, problem: (e as Error).message, seconds: 0 });
  }
  // The README's main command must keep working: it fails on any unexpected exit status of a zcp step.
  runCheck('demo (guest)', 'npm run demo: the apt-clone story with the real zcp command', ['tsx', 'scripts/demo.ts']);

  step('summary');
  for (const r of runs) {
    process.stdout.write(
      `${r.label.padEnd(16)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''} (${r.seconds.toFixed(1)} s)` +
        `${r.problem ? `\n${' '.repeat(17)}FAILED: ${r.problem}` : ''}\n`,
    );
    for (const f of r.failures ?? []) process.stdout.write(`${' '.repeat(17)}- ${f}\n`);
  }
  if (!typed) process.stdout.write('typecheck/docs   FAILED (see above)\n');
  const passed = runs.reduce((n, r) => n + r.passed, 0);
  // A run that broke as a whole counts as one failure, so it can't hide.
  const failed = runs.reduce((n, r) => n + r.failed + (r.problem && r.failed === 0 ? 1 : 0), 0) + (typed ? 0 : 1);
  const skipped = runs.reduce((n, r) => n + r.skipped, 0);
  process.stdout.write(
    `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (all runs, ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
  );
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
