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
import { COMMANDS, type Context } from './commands.js';
import { OPTIONS, valuedOptionWords } from './options.js';
import { EXIT, Output, UsageError } from './output.js';

export { EXIT } from './output.js';

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const GLOBAL_HELP = `options (any command):
  --dataset DS   a dataset of the system (repeatable; default: the dataset
                 mounted at / and the configured extras)
  --root PATH    the package database root (default: the first dataset's mountpoint)
  --json         one JSON document on stdout (errors: {"error":{code,message,dataset}})
  --yes, -y      answer yes to confirmations
  --dry-run, -n  show what would change, change nothing
  --quiet, -q    no output but errors
  --help, -h     help (zcp COMMAND --help for a command)
  --version      zcp's version
config: /etc/zcp/config.json (must be root's, not group/world-writable), ZCP_DATASETS, ZCP_ROOT
exit codes: 0 ok, 1 failure, 2 usage, 69 ZFS unavailable, 77 permission denied, 130 interrupted`;

function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `usage: zcp [options] COMMAND [args]\n\ncommands:\n${lines.join('\n')}\n\n${GLOBAL_HELP}\n`;
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `usage: ${c.usage}\n\n${c.summary}\n\nexamples:\n${c.examples.map((e) => `  ${e}`).join('\n')}\n\n${GLOBAL_HELP}\n`;
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
    return new Output({ json, quiet: false, yes: false }).fail(new UsageError((e as Error).message));
  }
  const v = parsed.values;
  const out = new Output({ json: v.json === true, quiet: v.quiet === true, yes: v.yes === true });
  const [name, ...positionals] = parsed.positionals;
  const args = [...positionals, ...passThrough];
  if (v.version) {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (v.help || name === 'help') {
    const topic = name === 'help' ? args[0] : name;
    process.stdout.write(topic && COMMANDS[topic] ? commandHelp(topic) : usage());
    return EXIT.ok;
  }
  if (name === undefined) return out.fail(new UsageError('no command given'));
  const command = COMMANDS[name];
  if (!command) return out.fail(new UsageError(`unknown command: ${name}`));
  const ctx: Context = {
    args,
    options: {
      ...(v.message !== undefined ? { message: v.message } : {}),
      ...(v.to !== undefined ? { to: v.to } : {}),
      ...(v.tid !== undefined ? { tid: v.tid } : {}),
      ...(v['rollback-on-failure'] ? { rollbackOnFailure: true } : {}),
      ...(v.once ? { once: true } : {}),
      ...(v['into-clone'] ? { intoClone: true } : {}),
      ...(v.keep !== undefined ? { keep: v.keep } : {}),
      ...(v['older-than'] !== undefined ? { olderThan: v['older-than'] } : {}),
      ...(v['min-free'] !== undefined ? { minFree: v['min-free'] } : {}),
      ...(v['discard-journal'] ? { discardJournal: true } : {}),
    },
    datasets: v.dataset ?? [],
    root: v.root,
    dryRun: v['dry-run'] === true,
    out,
  };
  try {
    return await command.run(ctx);
  } catch (e) {
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
