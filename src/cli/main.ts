#!/usr/bin/env node
/**
 * The `zcp` command: shared options, the command table (commands.ts), help,
 * exit codes (0 ok, 1 failure, 2 usage, 69 ZFS unavailable, 77 permission
 * denied, 130 interrupted).
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deferSignal } from '../checkpoint/interrupt.js';
import { logOutcome } from './audit.js';
import { type Command, COMMANDS, type Context } from './commands.js';
import { OPTIONS, SHARED_OPTIONS, optionHelp, valuedOptionWords, wrap } from './options.js';
import { EXIT, Output, UsageError } from './output.js';

export { EXIT } from './output.js';

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const EXIT_HELP = 'exit codes: 0 ok, 1 failure, 2 usage, 69 ZFS unavailable, 77 permission denied, 130 interrupted';
const CONFIG_HELP = 'config: /etc/zcp/config.json (root\'s, not group/world-writable); ZCP_DATASETS, ZCP_ROOT';

function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.replace(/^zcp /, '').split(' ')[0]!.length));
  const lines = Object.entries(COMMANDS).flatMap(([name, c]) => {
    const [first, ...rest] = wrap(c.summary, 80 - width - 4);
    return [`  ${name.padEnd(width)}  ${first}`, ...rest.map((l) => `  ${' '.repeat(width)}  ${l}`)];
  });
  return [
    'usage: zcp [options] COMMAND [args]     (zcp COMMAND --help: its own options)',
    '',
    'commands:',
    ...lines,
    '',
    'options of every command:',
    ...optionHelp(SHARED_OPTIONS),
    '',
    ...wrap(CONFIG_HELP, 80),
    ...wrap(EXIT_HELP, 80),
    '',
  ].join('\n');
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return [
    ...wrap(`usage: ${c.usage}`, 80),
    '',
    ...wrap(c.summary, 80),
    ...(c.options?.length ? ['', 'options:', ...optionHelp(c.options)] : []),
    '',
    'options of every command:',
    ...optionHelp(SHARED_OPTIONS),
    '',
    'examples:',
    ...c.examples.map((e) => `  ${e}`),
    '',
    ...wrap(EXIT_HELP, 80),
    '',
  ].join('\n');
}

/** parseArgs's complaint in zcp's words: which option, and what is wrong with it. */
function parseProblem(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const option = /'(-[^' ]+)/.exec(err.message ?? '')?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return /does not take/.test(err.message ?? '') ? `${option} takes no value` : `${option} needs a value`;
  }
  return err.message ?? String(e);
}

/** The options given that `command` does not take (beyond the shared ones), as typed. */
function foreignOptions(given: Record<string, unknown>, command: Command): string[] {
  const own = new Set<string>([...SHARED_OPTIONS, ...(command.options ?? [])]);
  return Object.keys(given).filter((k) => given[k] !== undefined && !own.has(k)).map((k) => `--${k}`);
}

/** Commands whose arguments after the first positional belong to another program. */
const PASS_THROUGH = new Set(['apt']);

function splitPassThrough(argv: string[]): { own: string[]; passThrough: string[] } {
  const valued = new Set(valuedOptionWords());
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (valued.has(a)) i++;
    else if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      if (positionals.length === 2 && PASS_THROUGH.has(positionals[0]!)) return { own: argv.slice(0, i + 1), passThrough: argv.slice(i + 1) };
    }
  }
  return { own: argv, passThrough: [] };
}

export async function main(argv: string[]): Promise<number> {
  // `zcp apt [options] ACTION ...`: everything after ACTION is apt-get's own.
  const { own, passThrough } = splitPassThrough(argv);
  let parsed;
  try {
    parsed = parseArgs({ args: own, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    const json = argv.includes('--json');
    return new Output({ json, quiet: false, yes: false }).fail(new UsageError(parseProblem(e)));
  }
  const v = parsed.values;
  const out = new Output({ json: v.json === true, quiet: v.quiet === true, yes: v.yes === true, verbose: v.verbose === true });
  const [name, ...positionals] = parsed.positionals;
  const args = [...positionals, ...passThrough];
  if (v.version) {
    process.stdout.write(v.json ? `${JSON.stringify({ version: version() })}\n` : `${version()}\n`);
    return EXIT.ok;
  }
  if (v.help || name === 'help') {
    const topic = name === 'help' ? args[0] : name;
    const text = topic && COMMANDS[topic] ? commandHelp(topic) : usage();
    process.stdout.write(v.json ? `${JSON.stringify({ help: text })}\n` : text);
    return EXIT.ok;
  }
  if (name === undefined) return out.fail(new UsageError('no command given'));
  const command = COMMANDS[name];
  if (!command) return out.fail(new UsageError(`unknown command: ${name}`));
  out.usageHint = `zcp ${name} --help`;
  const foreign = foreignOptions(v, command);
  if (foreign.length) return out.fail(new UsageError(`${foreign.join(', ')}: not ${foreign.length === 1 ? 'an option' : 'options'} of zcp ${name}`));
  const ctx: Context = {
    args,
    options: {
      ...(v.message !== undefined ? { message: v.message } : {}),
      ...(v.to !== undefined ? { to: v.to } : {}),
      ...(v.tid !== undefined ? { tid: v.tid } : {}),
      ...(v['rollback-on-failure'] ? { rollbackOnFailure: true } : {}),
      ...(v.once ? { once: true } : {}),
      ...(v['no-header'] ? { noHeader: true } : {}),
      ...(v.details ? { details: true } : {}),
      ...(v['into-clone'] ? { intoClone: true } : {}),
      ...(v.keep !== undefined ? { keep: v.keep } : {}),
      ...(v['older-than'] !== undefined ? { olderThan: v['older-than'] } : {}),
      ...(v['min-free'] !== undefined ? { minFree: v['min-free'] } : {}),
      ...(v['discard-journal'] ? { discardJournal: true } : {}),
      ...(v['with-later'] ? { withLater: true } : {}),
      ...(v['replace-conffiles'] ? { replaceConffiles: true } : {}),
    },
    datasets: v.dataset ?? [],
    root: v.root,
    dryRun: v['dry-run'] === true,
    out,
  };
  try {
    // The arguments' form first: a usage error is exit 2 on any machine, with or without ZFS.
    command.check(ctx);
    const code = await command.run(ctx);
    logOutcome(name, args, out.lastResult, out.lastError);
    return code;
  } catch (e) {
    logOutcome(name, args, undefined, e);
    return out.fail(e);
  }
}

// Ctrl-C, TERM and HUP end zcp at once, except in the middle of a step that
// changes several things (a rollback's datasets, a checkpoint's pools, a boot
// environment's clones): that step is finished first, then zcp exits.
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: EXIT.interrupted, SIGTERM: 143, SIGHUP: 129 };
for (const signal of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
  process.on(signal, () => {
    const exit = (s: NodeJS.Signals) => {
      process.stderr.write(`zcp: interrupted (${s})\n`);
      process.exit(SIGNAL_EXIT[s]);
    };
    if (deferSignal(signal, exit)) process.stderr.write(`zcp: ${signal}: finishing the step in hand first, then stopping\n`);
    else exit(signal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`zcp: ${(e as Error).message}\n`);
    process.exitCode = EXIT.failure;
  },
);
