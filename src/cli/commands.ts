/**
 * The commands of `zcp`: each with its usage, a summary, examples and the
 * function that runs it. Shared options are parsed by main.ts.
 * @module
 */
import { aptCommand } from '../apt/command.js';
import { checkpointLatency, scratchName } from '../bench/latency.js';
import { aptCommandLine, aptHook } from '../hooks/apt.js';
import { dnfHook } from '../hooks/dnf.js';
import { installFiles, removeFiles } from '../hooks/files.js';
import { type HookManager, hookBegin, hookEnd } from '../hooks/transaction.js';
import { fileURLToPath } from 'node:url';
import { APT_ACTIONS, AptError, type AptAction, type AptPlan, describePlan, planApt } from '../apt/plan.js';
import { mountBootEnvironment } from '../checkpoint/bootenv.js';
import { type Checkpoint, Checkpoints } from '../checkpoint/checkpoints.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { Mounts } from '../checkpoint/mount.js';
import { packagesOf } from '../checkpoint/packages.js';
import { type PackageDiff, diff, readPackages } from '../pkgdb/packages.js';
import * as zfs from '../zfs/index.js';
import { ZfsError } from '../zfs/errors.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrunePolicy, planPrune, prune } from '../checkpoint/prune.js';
import { Transactions } from '../transaction/transactions.js';
import { actionLines, bootEnvironmentJson, bytes, checkpointJson, diffLines, listLines, oneLine, planJson, planLines, table, when } from './format.js';
import { optionWords, valuedOptionWords } from './options.js';
import { type Output, UsageError } from './output.js';

/** What a command gets: its positionals and options, the shared options, the output. */
export interface Context {
  args: string[];
  options: { message?: string; to?: string; tid?: string; rollbackOnFailure?: boolean; intoClone?: boolean; keep?: string; olderThan?: string; minFree?: string };
  datasets: string[];
  root: string | undefined;
  dryRun: boolean;
  out: Output;
}

export interface Command {
  usage: string;
  summary: string;
  examples: string[];
  run(ctx: Context): Promise<number>;
}

async function open(ctx: Context): Promise<Checkpoints> {
  const availability = await zfs.available();
  if (!availability.ok) throw new ZfsError({ code: 'ZFS_UNAVAILABLE', operation: 'open', message: `ZFS is not usable here: ${availability.reason}` });
  return Checkpoints.open({ ...(ctx.datasets.length ? { datasets: ctx.datasets } : {}), ...(ctx.root ? { root: ctx.root } : {}) });
}

function want(ctx: Context, min: number, max: number, what: string): void {
  if (ctx.args.length < min || ctx.args.length > max) throw new UsageError(`expected ${what}`);
}

/** Where a rollback goes, as Transactions.rollbackTo takes it: the TID of ID or --tid, or the date of --to (every transaction after it is undone). */
async function rollbackTarget(cps: Checkpoints, ctx: Context): Promise<number | Date> {
  const given = [ctx.args.length > 0, ctx.options.tid !== undefined, ctx.options.to !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('rollback takes one of: ID, --tid TID, --to DATE');
  if (ctx.options.tid !== undefined) {
    if (!/^[1-9][0-9]*$/.test(ctx.options.tid)) throw new UsageError(`--tid takes a transaction number, not "${ctx.options.tid}"`);
    return Number(ctx.options.tid);
  }
  if (ctx.options.to !== undefined) {
    const date = new Date(ctx.options.to);
    if (Number.isNaN(date.getTime())) throw new UsageError(`--to takes a date (2026-11-23 14:00, ISO 8601), not "${ctx.options.to}"`);
    return date;
  }
  return (await cps.get(ctx.args[0]!)).tid;
}

export const COMMANDS: Record<string, Command> = {
  status: {
    usage: 'zcp status',
    summary: 'is ZFS usable; the system\'s datasets, package manager and free space',
    examples: ['zcp status', 'zcp status --json'],
    async run(ctx) {
      const availability = await zfs.available();
      if (!availability.ok) {
        ctx.out.line(`zfs: unavailable: ${availability.reason}`);
        ctx.out.result({ zfs: availability, system: null });
        return 69;
      }
      ctx.out.line(`zfs: usable (${availability.library}${availability.kernelModule ? `, module ${availability.kernelModule}` : ''})`);
      let system: unknown = null;
      try {
        const cps = await open(ctx);
        const free: Record<string, number> = {};
        for (const pool of cps.system.pools) free[pool] = Number((await zfs.getProps(pool, ['available'])).available?.value ?? 0);
        const manager = await readPackages(cps.system.root).then(
          (s) => s.manager,
          () => null,
        );
        system = { datasets: cps.system.datasets, pools: cps.system.pools, root: cps.system.root, manager, free };
        ctx.out.line(`system: ${cps.system.datasets.join(', ')} (root ${cps.system.root})`);
        ctx.out.line(`packages: ${manager ?? 'no package database found'}`);
        for (const [pool, n] of Object.entries(free)) ctx.out.line(`free: ${pool} ${bytes(n)}`);
      } catch (e) {
        system = { error: { code: (e as { code?: string }).code ?? 'INTERNAL', message: (e as Error).message } };
        ctx.out.line(`system: ${(e as Error).message}`);
      }
      ctx.out.result({ zfs: availability, system });
      return 0;
    },
  },

  create: {
    usage: 'zcp create [-m TITLE]',
    summary: 'checkpoint the system now (one atomic snapshot per pool); prints its id and TID',
    examples: ['zcp create -m "before trying the new kernel"', 'zcp create --json'],
    async run(ctx) {
      want(ctx, 0, 0, 'no arguments (the title goes with -m)');
      const cps = await open(ctx);
      if (ctx.dryRun) {
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
    usage: 'zcp list',
    summary: 'the system, its checkpoints and boot environments (A = boots next, C = current)',
    examples: ['zcp list', 'zcp list --json | jq \'.checkpoints[] | .id\''],
    async run(ctx) {
      want(ctx, 0, 0, 'no arguments');
      const cps = await open(ctx);
      const [checkpoints, bes] = [await cps.list(), await cps.bootEnvironments()];
      for (const l of listLines(checkpoints, bes)) ctx.out.line(l);
      ctx.out.result({ checkpoints: checkpoints.map(checkpointJson), bootEnvironments: bes.map(bootEnvironmentJson) });
      return 0;
    },
  },

  show: {
    usage: 'zcp show ID',
    summary: 'one checkpoint\'s metadata (ID: zcp-N, the TID N, or a snapshot name)',
    examples: ['zcp show zcp-12', 'zcp show 12 --json'],
    async run(ctx) {
      want(ctx, 1, 1, 'one checkpoint id');
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
    async run(ctx) {
      want(ctx, 1, 2, 'one or two checkpoint ids');
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
    async run(ctx) {
      want(ctx, 0, 1, 'at most one checkpoint id');
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
    async run(ctx) {
      want(ctx, 2, 2, 'a checkpoint id and a name');
      const cps = await open(ctx);
      const made = await ctx.out.progress('cloning', cps.clone(ctx.args[0]!, ctx.args[1]!, { dryRun: ctx.dryRun }));
      ctx.out.line(`${ctx.dryRun ? 'would make' : 'made'} boot environment ${ctx.args[1]}: ${made.join(', ')}`);
      ctx.out.result({ bootEnvironment: ctx.args[1], datasets: made, dryRun: ctx.dryRun });
      return 0;
    },
  },

  activate: {
    usage: 'zcp activate NAME',
    summary: 'make a boot environment (or the system itself) boot next: the pool\'s bootfs',
    examples: ['zcp activate before-upgrade'],
    async run(ctx) {
      want(ctx, 1, 1, 'one boot environment name');
      const be = await (await open(ctx)).activate(ctx.args[0]!, { dryRun: ctx.dryRun });
      ctx.out.line(`${ctx.dryRun ? 'would activate' : 'activated'} ${be.name} (${be.dataset} boots next)`);
      ctx.out.result({ bootEnvironment: bootEnvironmentJson(be), dryRun: ctx.dryRun });
      return 0;
    },
  },

  destroy: {
    usage: 'zcp destroy ID|NAME',
    summary: 'destroy a checkpoint or a boot environment; confirms; refuses the active and current ones',
    examples: ['zcp destroy zcp-12', 'zcp destroy before-upgrade --yes'],
    async run(ctx) {
      want(ctx, 1, 1, 'one checkpoint id or boot environment name');
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
    async run(ctx) {
      want(ctx, 1, 1, 'one checkpoint id');
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
    async run(ctx) {
      want(ctx, 1, 1, 'one checkpoint id');
      const c = await (await open(ctx)).release(ctx.args[0]!);
      ctx.out.line(`released ${c.id}`);
      ctx.out.result({ checkpoint: checkpointJson(c) });
      return 0;
    },
  },

  run: {
    usage: 'zcp run [-m TITLE] [--rollback-on-failure] -- COMMAND...',
    summary: 'checkpoint, run COMMAND (no shell), record the transaction; on failure offer a rollback',
    examples: ['zcp run -m "new kernel" -- apt-get -y install linux-image-amd64', 'zcp run --rollback-on-failure --yes -- dnf -y upgrade'],
    async run(ctx) {
      if (!ctx.args.length) throw new UsageError('run needs a command after --');
      const cps = await open(ctx);
      const tx = new Transactions(cps);
      const argv = ctx.args;
      const { checkpoint } = await ctx.out.progress('checkpointing', tx.begin({ title: ctx.options.message ?? argv.join(' '), command: argv, kind: 'run' }));
      ctx.out.note(`checkpoint ${checkpoint.id} (TID ${checkpoint.tid}); running ${argv[0]}`);
      const code = await runCommand(argv, checkpoint.tid, ctx.out.options.json);
      return settle(ctx, tx, checkpoint, argv[0]!, code);
    },
  },

  apt: {
    usage: 'zcp apt [-s] [-m TITLE] [--rollback-on-failure] ACTION [APT-GET ARGS...]',
    summary: 'apt-get ACTION with a checkpoint, free space checked and a reboot foretold (apt-clone); -s: into a boot environment',
    examples: [
      'zcp apt install nginx',
      'zcp apt --yes dist-upgrade',
      'zcp apt -s dist-upgrade        # into boot environment upgrade-TID; then zcp activate upgrade-TID',
      'zcp apt --dry-run upgrade      # what apt would do, the space it needs, whether to reboot',
    ],
    async run(ctx) {
      const [action, ...aptArgs] = ctx.args;
      if (!action || !(APT_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`apt takes one of: ${APT_ACTIONS.join(', ')}`);
      const cps = await open(ctx);
      const root = cps.system.root;
      let plan: AptPlan;
      try {
        plan = await ctx.out.progress('asking apt', planApt(action as AptAction, aptArgs, root));
      } catch (e) {
        if (!(e instanceof AptError)) throw e;
        ctx.out.fail(e);
        return e.exitCode;
      }
      const available = Number((await zfs.getProps(cps.system.datasets[0]!, ['available'])).available?.value ?? 0);
      const summary = { ...plan, reboot: plan.touches.length > 0, availableBytes: available };
      if (!plan.install.length && !plan.remove.length) {
        ctx.out.line('apt has nothing to do; no checkpoint made');
        ctx.out.result({ plan: summary, checkpoint: null, dryRun: false });
        return 0;
      }
      for (const l of describePlan(plan)) ctx.out.line(l);
      ctx.out.line(`space: needs about ${bytes(plan.needBytes)} (downloads and the new files, beside the checkpoint's copies); ${bytes(available)} free`);
      if (plan.touches.length) ctx.out.line(`reboot: this touches the ${plan.touches.join(', ')}; a reboot is needed to use it`);
      if (plan.needBytes > available) {
        throw new CheckpointError('NO_SPACE', `apt needs about ${bytes(plan.needBytes)} and ${cps.system.datasets[0]} has ${bytes(available)} free; nothing was changed (zcp prune frees old checkpoints)`, cps.system.datasets[0]);
      }
      if (ctx.dryRun) {
        ctx.out.result({ plan: summary, checkpoint: null, dryRun: true });
        return 0;
      }
      if (!(await ctx.out.confirm(ctx.options.intoClone ? `Checkpoint, clone and run apt-get ${action} in the clone?` : `Checkpoint and run apt-get ${action}?`))) {
        ctx.out.line('not confirmed: nothing changed');
        ctx.out.result({ plan: summary, checkpoint: null, dryRun: false });
        return 1;
      }
      const title = ctx.options.message ?? ['apt-get', action, ...aptArgs].join(' ');
      const aptArgv = ['-y', action, ...aptArgs]; // -y: confirmed above
      if (!ctx.options.intoClone) {
        // apt-clone's "Rollback Checkpoint": the change in place, the checkpoint keeps the old state.
        const tx = new Transactions(cps);
        const { checkpoint } = await ctx.out.progress('checkpointing', tx.begin({ title, command: ['apt-get', action, ...aptArgs], kind: 'apt' }));
        ctx.out.note(`checkpoint ${checkpoint.id} (TID ${checkpoint.tid}); running apt-get ${action}`);
        const mounts = new Mounts();
        let code: number;
        try {
          code = await runCommand(await aptCommand(root, aptArgv, mounts), checkpoint.tid, ctx.out.options.json);
        } finally {
          await mounts.undo();
        }
        return settle(ctx, tx, checkpoint, 'apt-get', code, summary);
      }
      return upgradeIntoClone(ctx, cps, title, ['apt-get', action, ...aptArgs], aptArgv, summary);
    },
  },

  history: {
    usage: 'zcp history',
    summary: 'the transactions (TID, state, package changes) and the rollbacks, oldest first',
    examples: ['zcp history', 'zcp history --json'],
    async run(ctx) {
      want(ctx, 0, 0, 'no arguments');
      const h = await new Transactions(await open(ctx)).history();
      const rows = h.map((e) => {
        const c = e.changes;
        const changes = c ? `+${c.installed.length} -${c.removed.length} ^${c.upgraded.length} v${c.downgraded.length}` : '';
        const what = e.rollback ? `rollback to ${e.rollback.to}, undid ${e.rollback.undid.join(', ') || 'nothing'}` : oneLine(e.title);
        return [e.rollback ? '-' : String(e.tid), e.rollback ? 'rollback' : e.state, when(new Date(e.started)), changes, what];
      });
      for (const l of table(['TID', 'STATE', 'DATE', 'CHANGES', 'WHAT'], rows)) ctx.out.line(l);
      ctx.out.result({ history: h });
      return 0;
    },
  },

  undo: {
    usage: 'zcp undo TID',
    summary: 'how to undo one transaction at package level while later ones stay (a plan: files are not restored)',
    examples: ['zcp undo 12'],
    async run(ctx) {
      want(ctx, 1, 1, 'one TID');
      if (!/^[1-9][0-9]*$/.test(ctx.args[0]!)) throw new UsageError(`undo takes a TID, not "${ctx.args[0]}"`);
      const plan = await new Transactions(await open(ctx)).undoPlan(Number(ctx.args[0]));
      ctx.out.line(`undo transaction ${plan.transaction.tid} (${oneLine(plan.transaction.title)}):`);
      for (const l of actionLines(plan)) ctx.out.line(l);
      for (const c of plan.commands) ctx.out.line(`  run: ${c}`);
      ctx.out.line(`note: ${plan.note}`);
      ctx.out.result({ undo: plan });
      return 0;
    },
  },

  prune: {
    usage: 'zcp prune [--keep N] [--older-than DAYS] [--min-free SIZE]',
    summary: 'let old checkpoints go (never held, cloned or foreign ones; important ones kept longer); confirms',
    examples: ['zcp prune --keep 5 --dry-run', 'zcp prune --older-than 30 --min-free 10G --yes'],
    async run(ctx) {
      want(ctx, 0, 0, 'no arguments');
      const policy: PrunePolicy = {};
      const num = (v: string | undefined, what: string) => {
        if (v === undefined) return undefined;
        if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`${what} takes a number, not "${v}"`);
        return Number(v);
      };
      const keep = num(ctx.options.keep, '--keep');
      if (keep !== undefined) policy.keep = keep;
      const age = num(ctx.options.olderThan, '--older-than');
      if (age !== undefined) policy.maxAgeDays = age;
      if (ctx.options.minFree !== undefined) policy.minFreeBytes = parseSize(ctx.options.minFree);
      const cps = await open(ctx);
      const plan = await planPrune(cps, policy);
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

  rpm: {
    usage: 'zcp rpm [-m TITLE] [--rollback-on-failure] -- RPM-ARGS...',
    summary: 'rpm RPM-ARGS as a zcp transaction (checkpoint, run, record; on failure offer the rollback)',
    examples: ['zcp rpm -- -Uvh hello-2.0-1.x86_64.rpm', 'zcp rpm --rollback-on-failure -- --root /srv/img -e hello'],
    async run(ctx) {
      if (!ctx.args.length) throw new UsageError('rpm needs its arguments after --');
      const cps = await open(ctx);
      const tx = new Transactions(cps);
      const argv = ['rpm', ...ctx.args];
      const { checkpoint } = await ctx.out.progress('checkpointing', tx.begin({ title: ctx.options.message ?? argv.join(' '), command: argv, kind: 'rpm' }));
      ctx.out.note(`checkpoint ${checkpoint.id} (TID ${checkpoint.tid}); running rpm`);
      return settle(ctx, tx, checkpoint, 'rpm', await runCommand(argv, checkpoint.tid, ctx.out.options.json));
    },
  },

  hook: {
    usage: 'zcp hook install|remove apt|dnf',
    summary: 'make every apt (apt.conf.d Pre/Post-Invoke) or dnf (plugin) run a zcp transaction, or stop it',
    examples: ['zcp hook install apt', 'zcp hook remove apt --dry-run', 'zcp --dataset rpool/ROOT/fedora hook install dnf'],
    async run(ctx) {
      want(ctx, 2, 2, 'install|remove apt|dnf');
      const [action, manager] = ctx.args as [string, string];
      if (manager !== 'apt' && manager !== 'dnf') throw new UsageError(`hooks exist for apt and dnf, not "${manager}"`);
      if (action === 'pre' || action === 'post') return runHook(ctx, action, manager);
      if (action !== 'install' && action !== 'remove') throw new UsageError(`hook takes install or remove, not "${action}"`);
      // The hook file lives in the system's root. A system named here (options or
      // ZCP_DATASETS/ZCP_ROOT) is written into the hook's command line; otherwise the
      // hook finds it as zcp does (the config file, the dataset at /). Installing needs
      // no ZFS unless datasets are named.
      let root = ctx.root ?? process.env.ZCP_ROOT ?? '/';
      let where = ctx.root ?? process.env.ZCP_ROOT ? ['--root', root] : [];
      if (ctx.datasets.length || process.env.ZCP_DATASETS) {
        const sys = (await open(ctx)).system;
        root = sys.root;
        where = [...sys.datasets.flatMap((d) => ['--dataset', d]), '--root', sys.root];
      }
      const zcp = [process.execPath, fileURLToPath(new URL('./main.js', import.meta.url)), ...where];
      const files = manager === 'apt' ? [aptHook(root, zcp)] : dnfHook(root, zcp);
      const done = action === 'install' ? installFiles(files, { dryRun: ctx.dryRun }) : removeFiles(files.map((f) => f.path), { dryRun: ctx.dryRun });
      const verb = action === 'install' ? (ctx.dryRun ? 'would write' : 'wrote') : ctx.dryRun ? 'would remove' : 'removed';
      ctx.out.line(done.length ? `${verb} ${done.join(', ')}` : `no zcp ${manager} hook under ${root}`);
      ctx.out.result({ [action === 'install' ? 'written' : 'removed']: done, dryRun: ctx.dryRun });
      return 0;
    },
  },

  bench: {
    usage: 'zcp bench [POOL [ITERATIONS]]',
    summary: 'checkpoint latency on your pool: the addon vs the zfs command (in a scratch dataset it makes and removes)',
    examples: ['zcp bench', 'zcp bench tank 50', 'zcp bench --json | jq .rows'],
    async run(ctx) {
      want(ctx, 0, 2, 'an optional pool and iteration count');
      const iterations = ctx.args[1] === undefined ? 20 : Number(ctx.args[1]);
      if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) throw new UsageError(`ITERATIONS is a whole number from 1 to 10000, not "${ctx.args[1]}"`);
      const pool = ctx.args[0] ?? (await open(ctx)).system.pools[0]!;
      const availability = await zfs.available();
      if (!availability.ok) throw new ZfsError({ code: 'ZFS_UNAVAILABLE', operation: 'bench', message: `ZFS is not usable here: ${availability.reason}` });
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
    async run(ctx) {
      want(ctx, 1, 1, 'the shell: bash');
      if (ctx.args[0] !== 'bash') throw new UsageError(`no completion for "${ctx.args[0]}" (bash only)`);
      process.stdout.write(bashCompletion(Object.keys(COMMANDS)));
      return 0;
    },
  },

  repair: {
    usage: 'zcp repair',
    summary: 'finish what an interrupted zcp left (every locked command does this first)',
    examples: ['zcp repair'],
    async run(ctx) {
      want(ctx, 0, 0, 'no arguments');
      const done = await (await open(ctx)).repair();
      for (const d of done) ctx.out.line(d);
      if (!done.length) ctx.out.line('nothing to repair');
      ctx.out.result({ repaired: done });
      return 0;
    },
  },
};

/** 10G, 512M, 1.5T, or bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) throw new UsageError(`a size is a number with K, M, G or T, not "${text}"`);
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * scale);
}

/**
 * Runs the transaction's command directly (no shell: its words are data),
 * with ZCP_TRANSACTION set so hooks inside know not to checkpoint again. With
 * --json its stdout goes to stderr, keeping stdout for the JSON document.
 * Resolves to its exit status (127 when it could not be started, 128+N on signal N).
 */
function runCommand(argv: string[], tid: number, json: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['inherit', json ? process.stderr : 'inherit', 'inherit'],
      env: { ...process.env, ZCP_TRANSACTION: String(tid) },
    });
    child.on('error', (e) => {
      process.stderr.write(`zcp: cannot run ${argv[0]}: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/** The bash completion script: commands, options, and checkpoint ids from `zcp list --json`. */
function bashCompletion(commands: string[]): string {
  return `# bash completion for zcp (zcp completion bash)
_zcp() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd="" w
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) cmd="$w"; break ;; esac
  done
  case "$prev" in
    --dataset) COMPREPLY=( $(compgen -W "$(zfs list -H -o name -t filesystem 2>/dev/null)" -- "$cur") ); return ;;
    --root) COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
    ${valuedOptionWords().filter((w) => w !== '--dataset' && w !== '--root').join('|')}) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${optionWords().join(' ')}" -- "$cur") )
  elif [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") )
  else
    case "$cmd" in
      show|diff|rollback|clone|destroy|hold|release)
        COMPREPLY=( $(compgen -W "$(zcp list --json 2>/dev/null | sed -n 's/.*"id": "\\(zcp-[0-9]*\\)".*/\\1/p')" -- "$cur") ) ;;
      activate) COMPREPLY=( $(compgen -W "$(zcp list --json 2>/dev/null | sed -n 's/.*"name": "\\([^"]*\\)".*/\\1/p')" -- "$cur") ) ;;
      apt) COMPREPLY=( $(compgen -W "${APT_ACTIONS.join(' ')}" -- "$cur") ) ;;
      hook) COMPREPLY=( $(compgen -W "install remove apt dnf" -- "$cur") ) ;;
      bench) COMPREPLY=( $(compgen -W "$(zpool list -H -o name 2>/dev/null)" -- "$cur") ) ;;
      completion) COMPREPLY=( $(compgen -W "bash" -- "$cur") ) ;;
    esac
  fi
}
complete -F _zcp zcp
`;
}

/** After a transaction's command ran: commit it, or record the failure and offer (or, with --rollback-on-failure, take) the rollback. */
async function settle(ctx: Context, tx: Transactions, checkpoint: Checkpoint, label: string, code: number, plan?: unknown): Promise<number> {
  const extra = plan === undefined ? {} : { plan };
  if (code === 0) {
    const e = await tx.commit(checkpoint.tid);
    const n = e.changes ? e.changes.installed.length + e.changes.removed.length + e.changes.upgraded.length + e.changes.downgraded.length : 0;
    ctx.out.note(`transaction ${checkpoint.tid} committed: ${n} package change${n === 1 ? '' : 's'}${e.touches?.length ? `; touches ${e.touches.join(', ')}: reboot to use it` : ''}`);
    ctx.out.result({ ...extra, transaction: e, rolledBack: false });
    return 0;
  }
  const failed = await tx.fail(checkpoint.tid, code);
  ctx.out.note(`${label} failed (exit ${code})`);
  const back = ctx.options.rollbackOnFailure === true || (await ctx.out.confirm(`${label} failed. Roll back to ${checkpoint.id}?`, { byYes: false }));
  let rolledBack = false;
  if (back) {
    const r = await ctx.out.progress('rolling back', tx.rollbackTo(checkpoint.tid));
    rolledBack = r.done;
    ctx.out.note(`rolled back to ${checkpoint.id}`);
  } else {
    ctx.out.note(`left as it is; zcp rollback ${checkpoint.id} undoes it later`);
  }
  ctx.out.result({ ...extra, transaction: { ...failed, ...(rolledBack ? { state: 'rolled-back' } : {}) }, rolledBack });
  return code;
}

/**
 * apt-clone's "Upgrade Checkpoint": checkpoint, clone it to boot environment
 * upgrade-TID, mount that aside and run apt-get in it (entered with chroot
 * when it has an apt-get of its own, as a running system does; else the
 * host's, pointed at it: src/apt/command.ts). The running system is never
 * touched; activate makes the result boot next.
 */
async function upgradeIntoClone(ctx: Context, cps: Checkpoints, title: string, command: string[], aptArgs: string[], plan: unknown): Promise<number> {
  const checkpoint = await ctx.out.progress('checkpointing', cps.create({ title, kind: 'upgrade', command }));
  const name = `upgrade-${checkpoint.tid}`;
  await ctx.out.progress('cloning', cps.clone(checkpoint.id, name));
  ctx.out.note(`checkpoint ${checkpoint.id}; boot environment ${name} cloned from it; running apt-get there (the running system is not touched)`);
  const dir = mkdtempSync(join(tmpdir(), 'zcp-be-'));
  const mounts = new Mounts();
  let code: number;
  let changes: PackageDiff | null = null;
  try {
    await mountBootEnvironment(cps, name, dir, mounts);
    code = await runCommand(await aptCommand(dir, aptArgs, mounts), checkpoint.tid, ctx.out.options.json);
    changes = await packagesOf(cps.system, checkpoint.id).then(
      async (before) => diff(before, await readPackages(dir)),
      () => null,
    );
  } finally {
    await mounts.undo();
    try {
      rmdirSync(dir); // only when empty: never delete through a mount that did not go
    } catch {
      /* left for the operator: still mounted */
    }
  }
  const be = { name, origin: checkpoint.id };
  if (code === 0) {
    const n = changes ? changes.installed.length + changes.removed.length + changes.upgraded.length + changes.downgraded.length : 0;
    ctx.out.line(`boot environment ${name}: ${n} package change${n === 1 ? '' : 's'}; zcp activate ${name} makes it boot next`);
    ctx.out.result({ plan, checkpoint: checkpointJson(checkpoint), bootEnvironment: be, changes, destroyed: false });
    return 0;
  }
  ctx.out.note(`apt-get failed (exit ${code}) in boot environment ${name}; the running system is untouched`);
  const drop = ctx.options.rollbackOnFailure === true || (await ctx.out.confirm(`apt-get failed. Destroy boot environment ${name} and checkpoint ${checkpoint.id}?`, { byYes: false }));
  if (drop) {
    await cps.destroyBootEnvironment(name);
    await cps.destroy(checkpoint.id);
    ctx.out.note(`destroyed ${name} and ${checkpoint.id}`);
  } else {
    ctx.out.note(`kept ${name} as apt left it; zcp destroy ${name} removes it`);
  }
  ctx.out.result({ plan, checkpoint: checkpointJson(checkpoint), bootEnvironment: be, changes, destroyed: drop });
  return code;
}

/**
 * `zcp hook pre|post apt|dnf`, called by the package manager's hook: never
 * fails it. Without ZFS, without space, with any error: one warning line on
 * stderr, exit 0, and the package manager goes on.
 */
async function runHook(ctx: Context, phase: 'pre' | 'post', manager: HookManager): Promise<number> {
  if (process.env.ZCP_TRANSACTION) return 0; // zcp apt/run/rpm runs this package manager: the transaction exists
  try {
    const cps = await open(ctx);
    if (phase === 'pre') {
      const command = manager === 'apt' ? aptCommandLine() : undefined;
      const title = ctx.options.message ?? command?.join(' ') ?? `${manager} (hook)`;
      const c = await hookBegin(cps, manager, title, command);
      ctx.out.note(`checkpoint ${c.id} (TID ${c.tid}) before this ${manager} run; zcp rollback ${c.id} undoes it`);
    } else {
      const ended = await hookEnd(cps, manager);
      if (ended?.broken.length) {
        ctx.out.note(`transaction ${ended.entry.tid} failed: dpkg left ${ended.broken.join(', ')}; zcp rollback ${ended.entry.checkpoint} undoes this ${manager} run`);
      } else if (ended) {
        const d = ended.entry.changes;
        const n = d ? d.installed.length + d.removed.length + d.upgraded.length + d.downgraded.length : 0;
        ctx.out.note(`transaction ${ended.entry.tid} committed: ${n} package change${n === 1 ? '' : 's'}${ended.entry.touches?.length ? `; touches ${ended.entry.touches.join(', ')}: reboot to use it` : ''}`);
      }
    }
  } catch (e) {
    process.stderr.write(`zcp: warning: ${phase === 'pre' ? `no checkpoint before this ${manager} run` : `this ${manager} run was not recorded`}: ${(e as Error).message}\n`);
  }
  return 0;
}
