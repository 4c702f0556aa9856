/**
 * The options of `zcp` (node:util parseArgs form): main.ts parses with them,
 * checks that each belongs to the command given, and the help and the bash
 * completion show them.
 * @module
 */
export const OPTIONS = {
  dataset: { type: 'string', multiple: true },
  root: { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  'dry-run': { type: 'boolean', short: 'n' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  message: { type: 'string', short: 'm' },
  to: { type: 'string' },
  tid: { type: 'string' },
  'rollback-on-failure': { type: 'boolean' },
  'into-clone': { type: 'boolean', short: 's' },
  keep: { type: 'string' },
  'older-than': { type: 'string' },
  'min-free': { type: 'string' },
  'discard-journal': { type: 'boolean' },
  once: { type: 'boolean' },
  'no-header': { type: 'boolean', short: 'H' },
  details: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  'with-later': { type: 'boolean' },
  'replace-conffiles': { type: 'boolean' },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** Options every command takes: which system, how to print, help. Any other option belongs to some commands only (Command.options). */
export const SHARED_OPTIONS: readonly OptionName[] = ['dataset', 'root', 'json', 'quiet', 'verbose', 'help', 'version'];

/** What an option does: the form of its value (with the unit), and a line of help. */
export const OPTION_HELP: Record<OptionName, { value?: string; text: string }> = {
  dataset: { value: 'DS', text: 'a dataset of the system (repeatable; default: the dataset at / with the file systems below it, and the configured extras)' },
  root: { value: 'PATH', text: "the system's root (default: the first dataset's mountpoint, or /)" },
  json: { text: 'one JSON document on stdout (errors: {"error":{code,message,subject}})' },
  quiet: { text: 'no output but errors' },
  verbose: { text: 'each step on stderr as it starts, and how long it took' },
  help: { text: 'help (zcp COMMAND --help for a command)' },
  version: { text: "zcp's version" },
  yes: { text: 'answer yes to the confirmation (no terminal and no --yes: no)' },
  'dry-run': { text: 'show what would change, change nothing' },
  message: { value: 'TITLE', text: 'the title of the checkpoint or transaction' },
  to: { value: 'DATE', text: 'undo every transaction after DATE (ISO 8601, "2026-11-23 14:00")' },
  tid: { value: 'TID', text: 'go back to the checkpoint taken before transaction TID' },
  'rollback-on-failure': { text: 'roll back without asking when the command fails' },
  'into-clone': { text: 'change a boot environment cloned from the checkpoint, not the running system' },
  keep: { value: 'N', text: 'keep the newest N checkpoints' },
  'older-than': { value: 'AGE', text: 'let go checkpoints older than AGE: 30d, 12h, 2w (a bare number is days)' },
  'min-free': { value: 'SIZE', text: 'let go the oldest until SIZE is free on each pool: 10G, 512M, 1.5T' },
  'discard-journal': { text: 'drop a rollback journal that does not check out; roll nothing back' },
  once: { text: 'boot it at the next boot only (refused: zcp writes no boot loader entries)' },
  'no-header': { text: 'no header line; columns separated by a tab (for scripts)' },
  details: { text: 'also read each checkpoint\'s space (used), every hold and every clone from its snapshots: seconds per thousand checkpoints' },
  'with-later': { text: 'undo first, newest first, the later transactions that need this one (else they are named and the undo refused)' },
  'replace-conffiles': { text: "take the package's version of conffiles edited since (default: keep the edited ones, as dpkg does)" },
};

/** `text` in lines of at most `width` characters, broken between words. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

/** Help lines for `names`, at most `width` columns: the option, then its text wrapped beside it. */
export function optionHelp(names: readonly OptionName[], width = 80): string[] {
  const INDENT = 26;
  const lines: string[] = [];
  for (const name of names) {
    const o = OPTIONS[name];
    const h = OPTION_HELP[name];
    const left = `  --${name}${'short' in o ? `, -${o.short}` : ''}${h.value ? ` ${h.value}` : ''}`;
    const body = wrap(h.text, width - INDENT).map((l) => `${' '.repeat(INDENT)}${l}`);
    if (left.length <= INDENT - 2) body[0] = `${left.padEnd(INDENT)}${body[0]!.trimStart()}`;
    else body.unshift(left);
    lines.push(...body);
  }
  return lines;
}

/** Every option as typed: --name and -x. */
export function optionWords(names: readonly OptionName[] = Object.keys(OPTIONS) as OptionName[]): string[] {
  return names.flatMap((name) => {
    const o = OPTIONS[name];
    return [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])];
  });
}

/** Options that take a value (the next word). */
export function valuedOptionWords(): string[] {
  return optionWords((Object.keys(OPTIONS) as OptionName[]).filter((name) => OPTIONS[name].type === 'string'));
}
