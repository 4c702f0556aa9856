/**
 * The options of `zcp` (node:util parseArgs form): main.ts parses with them,
 * the bash completion offers them.
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
} as const;

/** Every option as typed: --name and -x. */
export function optionWords(): string[] {
  return Object.entries(OPTIONS).flatMap(([name, o]) => [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])]);
}

/** Options that take a value (the next word). */
export function valuedOptionWords(): string[] {
  return Object.entries(OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .flatMap(([name, o]) => [`--${name}`, ...('short' in o ? [`-${o.short}`] : [])]);
}
