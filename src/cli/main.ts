#!/usr/bin/env node
/**
 * The `zcp` command. This first cut answers `status`; the checkpoint commands
 * of DESIGN.md's table come with the checkpoint layer.
 * @module
 */
import { readFileSync } from 'node:fs';
import { zfs } from '../index.js';

/** Exit codes of DESIGN.md's CLI contract. */
export const EXIT = { ok: 0, failure: 1, usage: 2, zfsUnavailable: 69, permission: 77, interrupted: 130 } as const;

const USAGE = `usage: zcp [--json] <command>

commands:
  status      is ZFS usable here? (exit 69 when it is not)

options:
  --json      machine-readable output
  --version   print the version
  --help      this text
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (args.includes('--version')) {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const [command, ...rest] = args;
  if (command !== 'status' || rest.length > 0) {
    const message = command === undefined ? 'no command given' : `unknown command or argument: ${args.join(' ')}`;
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message } })}\n`);
    else process.stderr.write(`zcp: ${message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const status = await zfs.available();
  if (json) process.stdout.write(`${JSON.stringify({ zfs: status })}\n`);
  else if (status.ok) process.stdout.write(`zfs: usable (${status.library}${status.kernelModule ? `, module ${status.kernelModule}` : ''})\n`);
  else process.stdout.write(`zfs: unavailable: ${status.reason}\n`);
  return status.ok ? EXIT.ok : EXIT.zfsUnavailable;
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
