/**
 * The command table of `zcp`: each command with its usage, a summary,
 * examples and the function that runs it (the package-manager ones are in
 * package-commands.ts). Shared options are parsed by main.ts.
 * @module
 */
import { existsSync } from 'node:fs';
import { checkpointLatency, scratchName } from '../bench/latency.js';
import type { Checkpoints } from '../checkpoint/checkpoints.js';
import type { PendingRollback } from '../checkpoint/rollback.js';
import type { LeftMounts } from '../checkpoint/mount.js';
import { type PrunePolicy, prune } from '../checkpoint/prune.js';
import { ageDays, sizeBytes } from '../checkpoint/quantities.js';
import { readPackages } from '../pkgdb/packages.js';
import { activationEffect, readBootPath } from '../checkpoint/boot-path.js';
import { bootEnvironmentNameProblem } from '../checkpoint/bootenv.js';
import { configFile, readConfig } from '../checkpoint/system.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { type InterruptedTransaction, Transactions } from '../transaction/transactions.js';
import * as zfs from '../zfs/index.js';
import { bashCompletion } from './completion.js';
import { type Command, type Context, open, requireZfs, want } from './context.js';
import { actionLines, bootEnvironmentJson, bytes, checkpointJson, diffLines, listLines, oneLine, planJson, planLines, table, when } from './format.js';
import { UsageError } from './output.js';
import { PACKAGE_COMMANDS } from './package-commands.js';

export type { Command, Context } from './context.js';

/** The form of a rollback's target, before anything runs: one of ID, --tid TID, --to DATE. */
function checkRollback(ctx: Context): void {
  want(ctx, 0, 1, 'at most one checkpoint id');
  const given = [ctx.args.length > 0, ctx.options.tid !== undefined, ctx.options.to !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('rollback takes one of: ID, --tid TID, --to DATE');
  if (ctx.options.tid !== undefined && !/^[1-9][0-9]*$/.test(ctx.options.tid)) throw new UsageError(`--tid takes a transaction number, not "${ctx.options.tid}"`);
  if (ctx.options.to !== undefined && Number.isNaN(new Date(ctx.options.to).getTime())) {
    throw new UsageError(`--to takes a date (2026-11-23 14:00, ISO 8601), not "${ctx.options.to}"`);
  }
}

/** Where a rollback goes, as Transactions.rollbackTo takes it: the TID of ID or --tid, or the date of --to (every transaction after it is undone). */
async function rollbackTarget(cps: Checkpoints, ctx: Context): Promise<number | Date> {
  if (ctx.options.tid !== undefined) return Number(ctx.options.tid);
  if (ctx.options.to !== undefined) return new Date(ctx.options.to);
  return (await cps.get(ctx.args[0]!)).tid;
}

/** The policy of zcp prune's options (numbers, ages and sizes checked). */
function prunePolicy(ctx: Context): PrunePolicy {
  const policy: PrunePolicy = {};
  if (ctx.options.keep !== undefined) {
    if (!/^\d+$/.test(ctx.options.keep)) throw new UsageError(`--keep takes a whole number, not "${ctx.options.keep}"`);
    policy.keep = Number(ctx.options.keep);
  }
  if (ctx.options.olderThan !== undefined) policy.maxAgeDays = parseAge(ctx.options.olderThan);
  if (ctx.options.minFree !== undefined) policy.minFreeBytes = parseSize(ctx.options.minFree);
  return policy;
}

export const COMMANDS: Record<string, Command> = {
  status: {
    usage: 'zcp status',
    summary: 'is ZFS usable; the system\'s datasets, package manager and free space',
    examples: ['zcp status', 'zcp status --json'],
    check: (ctx) => want(ctx, 0, 0, 'no arguments'),
    async run(ctx) {
      const availability = await zfs.available();
      // What zcp would work with is told with or without ZFS: the config, and the package manager at the root.
      const config = await configStatus();
      const managerAt = (root: string) => readPackages(root).then((p) => p.manager, () => null);
      // Without a system (no ZFS, or none found): the package manager at the root zcp was given.
      const atGivenRoot = async () => {
        const root = ctx.root ?? process.env.ZCP_ROOT ?? '/';
        const found = await managerAt(root);
        ctx.out.line(`packages: ${found ?? 'no package database found'} (at ${root})`);
        return found;
      };
      if (!availability.ok) {
        ctx.out.line(`zfs: unavailable: ${availability.reason}`);
        const manager = await atGivenRoot();
        ctx.out.line(config.text);
        ctx.out.result({ zfs: availability, system: null, packageManager: manager, config: config.json });
        return 69;
      }
      ctx.out.line(`zfs: usable (${availability.library}${availability.kernelModule ? `, module ${availability.kernelModule}` : ''})`);
      let system: unknown = null;
      let manager: string | null = null;
      try {
        const cps = await open(ctx);
        const free: Record<string, number> = {};
        for (const pool of cps.system.pools) free[pool] = Number((await zfs.getProps(pool, ['available'])).available?.value ?? 0);
        manager = await managerAt(cps.system.root);
        const pending = await cps.pendingRollback();
        const interrupted = await new Transactions(cps).interrupted();
        system = { id: cps.system.id, datasets: cps.system.datasets, pools: cps.system.pools, root: cps.system.root, manager, free, pendingRollback: pending ?? null, interruptedTransactions: interruptedJson(interrupted) };
        ctx.out.line(`system: ${cps.system.datasets.join(', ')} (root ${cps.system.root})`);
        ctx.out.line(`packages: ${manager ?? 'no package database found'}`);
        for (const [pool, n] of Object.entries(free)) ctx.out.line(`free: ${pool} ${bytes(n)}`);
        for (const l of pendingLines(pending)) ctx.out.line(l);
        for (const l of interruptedLines(interrupted)) ctx.out.line(l);
      } catch (e) {
        system = { error: { code: (e as { code?: string }).code ?? 'INTERNAL', message: (e as Error).message } };
        ctx.out.line(`system: ${(e as Error).message}`);
        manager = await atGivenRoot();
      }
      ctx.out.line(config.text);
      ctx.out.result({ zfs: availability, system, packageManager: manager, config: config.json });
      return 0;
    },
  },

  create: {
    usage: 'zcp create [-m TITLE]',
    summary: 'checkpoint the system now (one atomic snapshot per pool); prints its id and TID',
    examples: ['zcp create -m "before trying the new kernel"', 'zcp create --json'],
    options: ['message', 'dry-run'],
    check: (ctx) => want(ctx, 0, 0, 'no arguments (the title goes with -m)'),
    async run(ctx) {
      const cps = await open(ctx);
      if (ctx.dryRun) {
        await cps.refusePending();
        ctx.out.line(`would checkpoint ${cps.system.datasets.join(', ')}`);
        ctx.out.result({ dryRun: true, datasets: cps.system.datasets });
        return 0;
      }
      const c = await ctx.out.progress('checkpointing', cps.create({ title: ctx.options.message ?? '', kind: 'manual' }));
      ctx.out.line(`created ${c.id} (TID ${c.tid}) of ${c.snapshots.length} dataset${c.snapshots.length === 1 ? '' : 's'}`);
      ctx.out.result({ checkpoint: checkpointJson(c) });
      return 0;
    },
  },

  list: {
    usage: 'zcp list [-H] [--details]',
    summary: 'the system, its checkpoints and boot environments (A = boots next, C = current); --details reads each checkpoint\'s space, holds and clones from its snapshots (slower)',
    examples: ['zcp list', 'zcp list --json | jq \'.checkpoints[] | .id\'', 'zcp list -H | cut -f3', 'zcp list --details --json'],
    options: ['no-header', 'details'],
    check: (ctx) => want(ctx, 0, 0, 'no arguments'),
    async run(ctx) {
      const cps = await open(ctx);
      const [checkpoints, bes, pending, interrupted] = [await cps.list({ details: ctx.options.details === true }), await cps.bootEnvironments(), await cps.pendingRollback(), await new Transactions(cps).interrupted()];
      for (const l of listLines(checkpoints, bes, ctx.options.noHeader === true)) ctx.out.line(l);
      for (const l of pendingLines(pending)) ctx.out.line(l);
      for (const l of interruptedLines(interrupted)) ctx.out.line(l);
      ctx.out.result({
        checkpoints: checkpoints.map(checkpointJson),
        bootEnvironments: bes.map(bootEnvironmentJson),
        pendingRollback: pending ?? null,
        interruptedTransactions: interruptedJson(interrupted),
      });
      return 0;
    },
  },

  show: {
    usage: 'zcp show ID',
    summary: 'one checkpoint\'s metadata (ID: zcp-N, the TID N, or a snapshot name)',
    examples: ['zcp show zcp-12', 'zcp show 12 --json'],
    check: (ctx) => want(ctx, 1, 1, 'one checkpoint id'),
    async run(ctx) {
      const c = await (await open(ctx)).get(ctx.args[0]!);
      ctx.out.line(`${c.id}  TID ${c.tid}  ${c.kind}  ${when(c.created)}  ${c.state}${c.held ? ', held' : ''}${c.important ? ', important' : ''}`);
      ctx.out.line(`title: ${c.title}`);
      if (c.command) ctx.out.line(`command: ${JSON.stringify(c.command)}`);
      ctx.out.line(`space: ${bytes(c.used)}`);
      for (const s of c.snapshots) ctx.out.line(`snapshot: ${s}`);
      for (const m of c.missing) ctx.out.line(`missing on: ${m}`);
      for (const cl of c.clones) ctx.out.line(`clone: ${cl}`);
      ctx.out.result({ checkpoint: checkpointJson(c) });
      return 0;
    },
  },

  diff: {
    usage: 'zcp diff ID [ID2]',
    summary: 'package changes from checkpoint ID to ID2 (default: the running system)',
    examples: ['zcp diff zcp-12', 'zcp diff zcp-12 zcp-14 --json'],
    check: (ctx) => want(ctx, 1, 2, 'one or two checkpoint ids'),
    async run(ctx) {
      const cps = await open(ctx);
      const d = await ctx.out.progress('reading the package databases', cps.diff(ctx.args[0]!, ctx.args[1]));
      ctx.out.line(`${ctx.args[0]} -> ${ctx.args[1] ?? 'now'}:`);
      for (const l of diffLines(d)) ctx.out.line(l);
      ctx.out.result({ from: ctx.args[0], to: ctx.args[1] ?? null, ...d });
      return 0;
    },
  },

  rollback: {
    usage: 'zcp rollback ID | --tid TID | --to DATE',
    summary: 'roll the system back in place: shows the package plan, confirms, destroys only the later checkpoints',
    examples: ['zcp rollback zcp-12', 'zcp rollback --to "2026-11-23 14:00" --dry-run', 'zcp rollback --tid 12 --yes'],
    options: ['tid', 'to', 'yes', 'dry-run'],
    check: checkRollback,
    async run(ctx) {
      const cps = await open(ctx);
      const to = await rollbackTarget(cps, ctx);
      const tx = new Transactions(cps);
      const result = await ctx.out.progress(
        'rolling back',
        tx.rollbackTo(to, {
          dryRun: ctx.dryRun,
          confirm: async (plan) => {
            for (const l of planLines(plan)) process.stderr.write(`${l}\n`);
            return ctx.out.confirm(`Roll back to ${plan.target.id}?`);
          },
        }),
      );
      if (ctx.dryRun) for (const l of planLines(result)) ctx.out.line(l);
      ctx.out.line(result.done ? `rolled back to ${result.target.id}${result.undid.length ? ` (undid TIDs ${result.undid.join(', ')})` : ''}` : ctx.dryRun ? '(dry run: nothing changed)' : 'not confirmed: nothing changed');
      ctx.out.result({ plan: planJson(result), done: result.done, dryRun: ctx.dryRun, undid: result.undid });
      return result.done || ctx.dryRun ? 0 : 1;
    },
  },

  clone: {
    usage: 'zcp clone ID NAME',
    summary: 'make boot environment NAME from a checkpoint (not mounted, not active)',
    examples: ['zcp clone zcp-12 before-upgrade', 'zcp activate before-upgrade'],
    options: ['dry-run'],
    check(ctx) {
      want(ctx, 2, 2, 'a checkpoint id and a name');
      const bad = bootEnvironmentNameProblem(ctx.args[1]!);
      if (bad) throw new UsageError(bad, 'INVALID_NAME');
    },
    async run(ctx) {
      const cps = await open(ctx);
      const made = await ctx.out.progress('cloning', cps.clone(ctx.args[0]!, ctx.args[1]!, { dryRun: ctx.dryRun }));
      ctx.out.line(`${ctx.dryRun ? 'would make' : 'made'} boot environment ${ctx.args[1]}: ${made.join(', ')}`);
      ctx.out.result({ bootEnvironment: ctx.args[1], datasets: made, dryRun: ctx.dryRun });
      return 0;
    },
  },

  activate: {
    usage: 'zcp activate [--once] NAME',
    summary: 'make a boot environment (or the system itself) boot next: the pool\'s bootfs; says whether this machine\'s boot path honours it',
    examples: ['zcp activate before-upgrade', 'zcp activate before-upgrade --json'],
    options: ['once', 'dry-run'],
    check: (ctx) => want(ctx, 1, 1, 'one boot environment name'),
    async run(ctx) {
      const cps = await open(ctx);
      const path = await readBootPath(cps.system);
      if (ctx.options.once) {
        // bootfs is a setting, not a one-shot; a one-time boot needs a boot loader entry to boot once (grub-reboot), which zcp does not write.
        throw new CheckpointError(
          'NOT_SUPPORTED',
          `--once: this machine boots by ${path.evidence}, and zcp can only set the pool's bootfs, which stays until changed; a one-time boot needs a boot loader entry for the boot environment (GRUB: grub-reboot ENTRY), which zcp does not write. Nothing was changed`,
          ctx.args[0],
        );
      }
      const be = await cps.activate(ctx.args[0]!, { dryRun: ctx.dryRun });
      const effect = activationEffect(path, be.dataset);
      ctx.out.line(`${ctx.dryRun ? 'would activate' : 'activated'} ${be.name} (${be.dataset} is the pool's bootfs)`);
      if (effect.takesEffect === true) ctx.out.line(`boot path: ${path.evidence}: ${be.dataset} boots next`);
      else if (effect.takesEffect === false) ctx.out.note(`the next boot does NOT take ${be.dataset}: ${path.evidence}. ${effect.advice}`);
      else ctx.out.line(`boot path: ${path.evidence}; ${be.dataset} boots next where the boot loader boots the pool's bootfs (root=zfs:AUTO, ZFSBootMenu)`);
      ctx.out.result({ bootEnvironment: bootEnvironmentJson(be), dryRun: ctx.dryRun, bootPath: path, takesEffect: effect.takesEffect, ...(effect.advice ? { advice: effect.advice } : {}) });
      return 0;
    },
  },

  destroy: {
    usage: 'zcp destroy ID|NAME',
    summary: 'destroy a checkpoint or a boot environment; confirms; refuses the active and current ones',
    examples: ['zcp destroy zcp-12', 'zcp destroy before-upgrade --yes'],
    options: ['yes', 'dry-run'],
    check: (ctx) => want(ctx, 1, 1, 'one checkpoint id or boot environment name'),
    async run(ctx) {
      const cps = await open(ctx);
      const ref = ctx.args[0]!;
      const isBe = (await cps.bootEnvironments()).some((b) => b.name === ref || b.dataset === ref);
      const doIt = (dryRun: boolean) => (isBe ? cps.destroyBootEnvironment(ref, { dryRun }) : cps.destroy(ref, { dryRun }));
      const doomed = await doIt(true); // refusals come before the question
      if (ctx.dryRun) {
        ctx.out.line(`would destroy: ${doomed.join(', ')}`);
        ctx.out.result({ destroyed: doomed, dryRun: true });
        return 0;
      }
      for (const d of doomed) process.stderr.write(`  destroy ${d}\n`);
      if (!(await ctx.out.confirm(`Destroy ${ref}?`))) {
        ctx.out.line('not confirmed: nothing changed');
        ctx.out.result({ destroyed: [], dryRun: false });
        return 1;
      }
      const done = await ctx.out.progress('destroying', doIt(false));
      ctx.out.line(`destroyed ${ref}`);
      ctx.out.result({ destroyed: done, dryRun: false });
      return 0;
    },
  },

  hold: {
    usage: 'zcp hold ID',
    summary: 'protect a checkpoint from destroy, prune and being consumed by a rollback',
    examples: ['zcp hold zcp-12'],
    check: (ctx) => want(ctx, 1, 1, 'one checkpoint id'),
    async run(ctx) {
      const c = await (await open(ctx)).hold(ctx.args[0]!);
      ctx.out.line(`held ${c.id}`);
      ctx.out.result({ checkpoint: checkpointJson(c) });
      return 0;
    },
  },

  release: {
    usage: 'zcp release ID',
    summary: 'remove the protection of zcp hold',
    examples: ['zcp release zcp-12'],
    check: (ctx) => want(ctx, 1, 1, 'one checkpoint id'),
    async run(ctx) {
      const c = await (await open(ctx)).release(ctx.args[0]!);
      ctx.out.line(`released ${c.id}`);
      ctx.out.result({ checkpoint: checkpointJson(c) });
      return 0;
    },
  },

  run: PACKAGE_COMMANDS.run,

  apt: PACKAGE_COMMANDS.apt,

  history: {
    usage: 'zcp history [-H]',
    summary: 'the transactions (TID, state, package changes) and the rollbacks, oldest first',
    examples: ['zcp history', 'zcp history --json', 'zcp history -H | awk -F\'\\t\' \'$2 == "failed"\''],
    options: ['no-header'],
    check: (ctx) => want(ctx, 0, 0, 'no arguments'),
    async run(ctx) {
      const h = await new Transactions(await open(ctx)).history();
      const rows = h.map((e) => {
        const c = e.changes;
        const changes = c ? `+${c.installed.length} -${c.removed.length} ^${c.upgraded.length} v${c.downgraded.length}` : '';
        const what = e.rollback ? `rollback to ${e.rollback.to}, undid ${e.rollback.undid.join(', ') || 'nothing'}` : oneLine(e.title);
        return [e.rollback ? '-' : String(e.tid), e.rollback ? 'rollback' : e.state, when(new Date(e.started)), changes, what];
      });
      for (const l of table(['TID', 'STATE', 'DATE', 'CHANGES', 'WHAT'], rows, ctx.options.noHeader === true)) ctx.out.line(l);
      ctx.out.result({ history: h });
      return 0;
    },
  },

  undo: PACKAGE_COMMANDS.undo,

  prune: {
    usage: 'zcp prune [--keep N] [--older-than AGE] [--min-free SIZE]',
    summary: 'let old checkpoints go, by the options, else the config\'s keep, olderThan and minFree (default: keep 10); never held, cloned or foreign ones; important ones kept longer; confirms',
    examples: ['zcp prune --keep 5 --dry-run', 'zcp prune --older-than 30d --min-free 10G --yes'],
    options: ['keep', 'older-than', 'min-free', 'yes', 'dry-run'],
    check(ctx) {
      want(ctx, 0, 0, 'no arguments');
      prunePolicy(ctx);
    },
    async run(ctx) {
      const cps = await open(ctx);
      // The config's retention (keep, olderThan, minFree; read with the system), each overridden by its option.
      const policy = { ...cps.system.retention, ...prunePolicy(ctx) };
      const plan = await prune(cps, policy, { dryRun: true }); // the plan, with the refusals (a pending rollback) of the real one
      for (const d of plan) ctx.out.line(`${ctx.dryRun ? 'would destroy' : 'destroy'} ${d.checkpoint.id} (${when(d.checkpoint.created)}): ${d.reason}`);
      if (!plan.length) ctx.out.line('nothing to prune');
      if (ctx.dryRun || !plan.length) {
        ctx.out.result({ pruned: plan.map((d) => ({ id: d.checkpoint.id, reason: d.reason })), dryRun: ctx.dryRun });
        return 0;
      }
      if (!(await ctx.out.confirm(`Destroy ${plan.length} checkpoint${plan.length === 1 ? '' : 's'}?`))) {
        ctx.out.line('not confirmed: nothing changed');
        ctx.out.result({ pruned: [], dryRun: false });
        return 1;
      }
      const done = await ctx.out.progress('pruning', prune(cps, policy));
      ctx.out.result({ pruned: done.map((d) => ({ id: d.checkpoint.id, reason: d.reason })), dryRun: false });
      return 0;
    },
  },

  rpm: PACKAGE_COMMANDS.rpm,

  hook: PACKAGE_COMMANDS.hook,

  bench: {
    usage: 'zcp bench [POOL [ITERATIONS]]',
    summary: 'checkpoint latency on your pool: the addon vs the zfs command (in a scratch dataset it makes and removes)',
    examples: ['zcp bench', 'zcp bench tank 50', 'zcp bench --json | jq .rows'],
    options: ['dry-run'],
    check(ctx) {
      want(ctx, 0, 2, 'an optional pool and iteration count');
      const iterations = ctx.args[1] === undefined ? 20 : Number(ctx.args[1]);
      if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) throw new UsageError(`ITERATIONS is a whole number from 1 to 10000, not "${ctx.args[1]}"`);
    },
    async run(ctx) {
      const iterations = ctx.args[1] === undefined ? 20 : Number(ctx.args[1]);
      const pool = ctx.args[0] ?? (await open(ctx)).system.pools[0]!;
      await requireZfs('bench');
      if (ctx.dryRun) {
        ctx.out.line(`would make ${scratchName(pool)} (not mounted) with 42 datasets, take ${iterations} snapshots per row, then destroy it all`);
        ctx.out.result({ scratch: scratchName(pool), iterations, dryRun: true });
        return 0;
      }
      const r = await ctx.out.progress(`measuring in ${scratchName(pool)}`, checkpointLatency(pool, { iterations }));
      const rows = r.rows.map((row) => {
        const addon = r.rows.find((x) => x.case === row.case && x.tool === 'zcp addon')!;
        return [row.case, row.tool, row.min.toFixed(1), row.median.toFixed(1), row.p95.toFixed(1), `${(row.median / addon.median).toFixed(2)}x`];
      });
      for (const l of table(['CASE', 'TOOL', 'MIN ms', 'MEDIAN ms', 'P95 ms', 'VS ADDON'], rows)) ctx.out.line(l);
      ctx.out.line(`${iterations} snapshots per row on ${pool}; ${r.scratch} is gone again`);
      ctx.out.result({ ...r, dryRun: false });
      return 0;
    },
  },

  completion: {
    usage: 'zcp completion bash',
    summary: 'print the bash completion script (commands, options, checkpoint ids)',
    examples: ['zcp completion bash > /etc/bash_completion.d/zcp', 'source <(zcp completion bash)'],
    check(ctx) {
      want(ctx, 1, 1, 'the shell: bash');
      if (ctx.args[0] !== 'bash') throw new UsageError(`no completion for "${ctx.args[0]}" (bash only)`);
    },
    async run() {
      process.stdout.write(bashCompletion(Object.keys(COMMANDS)));
      return 0;
    },
  },

  repair: {
    usage: 'zcp repair [--discard-journal]',
    summary: 'finish what an interrupted zcp left: a rollback cut half-way (after its journal checks out), a checkpoint cut between pools; confirms',
    examples: ['zcp repair --dry-run', 'zcp repair --yes', 'zcp repair --discard-journal   # a journal that does not check out: drop it'],
    options: ['discard-journal', 'yes', 'dry-run'],
    check: (ctx) => want(ctx, 0, 0, 'no arguments'),
    async run(ctx) {
      const cps = await open(ctx);
      const tx = new Transactions(cps);
      const discardJournal = ctx.options.discardJournal === true;
      const settled = (items: InterruptedTransaction[], dry: boolean) =>
        items.flatMap((t) =>
          t.ended
            ? [`${dry ? 'would end' : 'ended'} transaction ${t.entry.tid} as failed: its process is gone (interrupted)`, ...t.undone.map((u) => `  ${u}`)]
            : [`left transaction ${t.entry.tid} running: ${busyText(t.left)}; zcp repair again once that ends`],
        );
      const plan = [...(await cps.repair({ dryRun: true, discardJournal })), ...settled(await tx.settleInterrupted({ dryRun: true }), true)];
      if (!plan.length) {
        ctx.out.line('nothing to repair');
        ctx.out.result({ repaired: [], dryRun: ctx.dryRun });
        return 0;
      }
      if (ctx.dryRun) {
        for (const d of plan) ctx.out.line(d);
        ctx.out.result({ repaired: plan, dryRun: true });
        return 0;
      }
      for (const d of plan) process.stderr.write(`  ${d}\n`);
      if (!(await ctx.out.confirm(discardJournal ? 'Drop the journal?' : 'Repair?'))) {
        ctx.out.line('not confirmed: nothing changed');
        ctx.out.result({ repaired: [], dryRun: false });
        return 1;
      }
      const done = await ctx.out.progress('repairing', cps.repair({ discardJournal }));
      done.push(...settled(await tx.settleInterrupted(), false));
      for (const d of done) ctx.out.line(d);
      ctx.out.result({ repaired: done, dryRun: false });
      return 0;
    },
  },
};

/** The config file as zcp status tells it: where, whether it is there, what it sets, or why it is refused. */
async function configStatus(): Promise<{ text: string; json: Record<string, unknown> }> {
  const file = configFile();
  try {
    const settings = await readConfig(file);
    if (!existsSync(file)) return { text: `config: ${file} (not there: the defaults)`, json: { file, present: false, settings } };
    const set = Object.entries(settings).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`);
    return { text: `config: ${file}${set.length ? `: ${set.join('; ')}` : ' (empty: the defaults)'}`, json: { file, present: true, settings } };
  } catch (e) {
    const error = { code: (e as { code?: string }).code ?? 'INTERNAL', message: (e as Error).message };
    return { text: `config: refused: ${error.message}`, json: { file, present: existsSync(file), error } };
  }
}

/** The processes still running in what a dead transaction mounted. */
function busyText(left: LeftMounts): string {
  return `${left.busy.map((b) => `${b.command} (pid ${b.pid})`).join(', ')} still run${left.busy.length === 1 ? 's' : ''} in its mounts`;
}

/** What list and status say of transactions whose process died before they ended. */
function interruptedLines(items: Awaited<ReturnType<Transactions['interrupted']>>): string[] {
  return items.map(({ entry, left }) => {
    const mounted = left.unmount.length ? `; it left ${left.unmount.join(', ')} mounted` : '';
    const next = left.busy.length ? `${busyText(left)}: zcp repair ends it once that ends` : 'zcp repair ends it';
    return `INTERRUPTED transaction ${entry.tid} (${entry.checkpoint}, ${entry.title}): its process is gone${mounted}; ${next}`;
  });
}

/** The JSON of {@link interruptedLines}: `interruptedTransactions` of list and status. */
function interruptedJson(items: Awaited<ReturnType<Transactions['interrupted']>>): unknown[] {
  return items.map(({ entry, left }) => ({ tid: entry.tid, checkpoint: entry.checkpoint, title: entry.title, leftMounted: left.unmount, leftFiles: left.files, busy: left.busy }));
}

/** What list and status say of a rollback that was cut half-way. */
function pendingLines(p: PendingRollback | undefined): string[] {
  if (!p) return [];
  const out = [`ROLLBACK PENDING${p.target ? ` to ${p.target.id}` : ''}${p.started ? ` (started ${when(new Date(p.started))})` : ''}: interrupted; zcp changes nothing else until it is dealt with`];
  if (p.rolled.length) out.push(`  rolled back: ${p.rolled.join(', ')}`);
  if (p.remaining.length) out.push(`  not yet rolled back: ${p.remaining.join(', ')}`);
  if (p.destroy.length) out.push(`  still to destroy: ${p.destroy.join(', ')}`);
  if (p.problems.length) out.push(`  its journal does not check out: ${p.problems.join('; ')}`, '  zcp repair refuses it; zcp repair --discard-journal drops it (rolls nothing back)');
  else out.push('  zcp repair --dry-run shows what finishing it does; zcp repair does it');
  return out;
}

/** An age in days: 30d, 12h, 2w, or a bare number of days. */
export function parseAge(text: string): number {
  const days = ageDays(text);
  if (days === undefined) throw new UsageError(`an age is a number with h, d or w (30d, 12h, 2w), not "${text}"`);
  return days;
}

/** 10G, 512M, 1.5T, or bytes. */
export function parseSize(text: string): number {
  const n = sizeBytes(text);
  if (n === undefined) throw new UsageError(`a size is a number with K, M, G or T, not "${text}"`);
  return n;
}
