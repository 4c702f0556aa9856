// libFuzzer over the native parsers: builds each target in test/fuzz/targets
// with ASan and UBSan, seeds a working corpus in .cache/fuzz/corpus from the
// committed seeds, and fuzzes each target for the given time, one after the
// other. A crash, a sanitizer report, a leak or a timeout is a finding: its
// input is kept in .cache/fuzz/findings and the run fails.
//   npm run fuzz                     # 300 s per target
//   npm run fuzz -- --seconds 3600 --targets ndb,bdb
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, SANITIZE, buildWithPkgdb } from '../native/build.js';

const TARGETS = readdirSync(join(ROOT, 'test/fuzz/targets')).filter((f) => f.endsWith('.cc')).map((f) => f.slice(0, -3)).sort();

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '300' }, targets: { type: 'string', default: TARGETS.join(',') } },
});
const seconds = Number(values.seconds);
const targets = values.targets.split(',').filter(Boolean);
for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`no fuzz target '${t}' (have: ${TARGETS.join(', ')})`);

interface Outcome { target: string; runs: number; seconds: number; corpus: number; finding?: string }
const outcomes: Outcome[] = [];
const cache = join(ROOT, '.cache/fuzz');
for (const target of targets) {
  const binary = buildWithPkgdb(join(cache, 'bin', target), [join(ROOT, 'test/fuzz/targets', `${target}.cc`)], ['-fsanitize=fuzzer', ...SANITIZE]);
  const corpus = join(cache, 'corpus', target);
  const findings = join(cache, 'findings');
  mkdirSync(corpus, { recursive: true });
  mkdirSync(findings, { recursive: true });
  cpSync(join(ROOT, 'test/fuzz/corpus', target), corpus, { recursive: true });
  const started = Date.now();
  const run = spawnSync(binary, [`-max_total_time=${seconds}`, '-timeout=10', '-rss_limit_mb=2048', '-print_final_stats=1', `-artifact_prefix=${findings}/${target}-`, corpus], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  const log = run.stderr;
  const runs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(log)?.[1] ?? 0);
  const outcome: Outcome = { target, runs, seconds: Math.round((Date.now() - started) / 1000), corpus: readdirSync(corpus).length };
  if (run.status !== 0) {
    outcome.finding = /Test unit written to (\S+)/.exec(log)?.[1] ?? `exit ${run.status}`;
    process.stderr.write(log.split('\n').slice(-60).join('\n') + '\n');
  }
  outcomes.push(outcome);
  console.log(`fuzz ${target}: ${runs.toLocaleString('en')} runs in ${outcome.seconds} s, corpus ${outcome.corpus}, ${outcome.finding ? `FINDING ${outcome.finding}` : 'no finding'}`);
}
const bad = outcomes.filter((o) => o.finding);
console.log(`fuzz: ${outcomes.length} targets, ${outcomes.reduce((s, o) => s + o.runs, 0).toLocaleString('en')} runs, ${bad.length} findings`);
process.exit(bad.length ? 1 : 0);
