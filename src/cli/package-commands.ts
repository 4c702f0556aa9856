/**
 * The commands that run a package manager as a zcp transaction: `run`,
 * `apt` (apt-clone parity: in place or into a boot environment), `rpm`,
 * and `hook` (install/remove the apt and dnf hooks; pre/post as they call it).
 * @module
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { APT_ACTIONS, AptError, type AptAction, type AptPlan, describePlan, planApt } from '../apt/plan.js';
import type { Checkpoint, Checkpoints, CreateOptions } from '../checkpoint/checkpoints.js';
import { CheckpointError } from '../checkpoint/errors.js';
import { aptHook, aptProcess } from '../hooks/apt.js';
import { dnfHook } from '../hooks/dnf.js';
import { installFiles, removeFiles } from '../hooks/files.js';
import { type HookManager, hookBegin, hookEnd } from '../hooks/transaction.js';
import { type CommandRunner, type Ran, aptInPlace, discardUpgrade, recordRun, rollBackRun, runAsTransaction, upgradeInBootEnvironment } from '../package-manager/workflows.js';
import type { PackageDiff } from '../pkgdb/packages.js';
import type { HistoryEntry } from '../transaction/history.js';
import { Transactions } from '../transaction/transactions.js';
import { type UndoPlan, carryOutUndo, planUndo } from '../undo/undo.js';
import * as zfs from '../zfs/index.js';
import { type Command, type Context, open, want } from './context.js';
import { syslog } from './audit.js';
import { actionLines, bytes, checkpointJson, oneLine } from './format.js';
import { UsageError } from './output.js';

export const PACKAGE_COMMANDS = {
  run: {
    usage: 'zcp run [-m TITLE] [--rollback-on-failure] -- COMMAND...',
    summary: 'checkpoint, run COMMAND (no shell), record the transaction; on failure offer a rollback',
    examples: ['zcp run -m "new kernel" -- apt-get -y install linux-image-amd64', 'zcp run --rollback-on-failure -- dnf -y upgrade'],
    options: ['message', 'rollback-on-failure'],
    check(ctx) {
      if (!ctx.args.length) throw new UsageError('run needs a command after --');
    },
    async run(ctx) {
      const cps = await open(ctx);
      const argv = ctx.args;
      const ran = await runAsTransaction(cps, { title: ctx.options.message ?? argv.join(' '), command: argv, kind: 'run' }, runner(ctx), argv, {
        progress: (l, w) => ctx.out.progress(l, w),
        onCheckpoint: (c) => ctx.out.note(`checkpoint ${c.id} (TID ${c.tid}); running ${argv[0]}`),
      });
      return settle(ctx, cps, argv[0]!, ran);
    },
  },
  apt: {
    usage: 'zcp apt [-s] [-m TITLE] [--rollback-on-failure] ACTION [APT-GET ARGS...]',
    summary: 'apt-get ACTION with a checkpoint, free space checked and a reboot foretold (apt-clone); -s: into a boot environment',
    examples: [
      'zcp apt install nginx',
      'zcp apt --yes dist-upgrade',
      'zcp apt -s dist-upgrade     # into boot environment upgrade-TID; then:',
      'zcp activate upgrade-TID',
      'zcp apt --dry-run upgrade   # what apt would do, the space, whether to reboot',
    ],
    options: ['into-clone', 'message', 'rollback-on-failure', 'yes', 'dry-run'],
    check(ctx) {
      const action = ctx.args[0];
      if (!action || !(APT_ACTIONS as readonly string[]).includes(action)) throw new UsageError(`apt takes one of: ${APT_ACTIONS.join(', ')}`);
    },
    async run(ctx) {
      const [action, ...aptArgs] = ctx.args as [string, ...string[]];
      const cps = await open(ctx);
      await cps.refusePending(); // before asking apt
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
      const begin = { title, command: ['apt-get', action, ...aptArgs], kind: 'apt' as const };
      const progress = <T>(l: string, w: Promise<T>) => ctx.out.progress(l, w);
      if (!ctx.options.intoClone) {
        // apt-clone's "Rollback Checkpoint": the change in place, the checkpoint keeps the old state.
        const ran = await aptInPlace(cps, begin, aptArgv, runner(ctx), {
          progress,
          onCheckpoint: (c) => ctx.out.note(`checkpoint ${c.id} (TID ${c.tid}); running apt-get ${action}`),
        });
        return settle(ctx, cps, 'apt-get', ran, summary);
      }
      return upgradeIntoClone(ctx, cps, begin, aptArgv, summary);
    },
  },
  rpm: {
    usage: 'zcp rpm [-m TITLE] [--rollback-on-failure] -- RPM-ARGS...',
    summary: 'rpm RPM-ARGS as a zcp transaction (checkpoint, run, record; on failure offer the rollback); like a hook, never stops rpm',
    examples: ['zcp rpm -- -Uvh hello-2.0-1.x86_64.rpm', 'zcp rpm --rollback-on-failure -- --root /srv/img -e hello', "alias rpm='zcp rpm --'"],
    options: ['message', 'rollback-on-failure'],
    check(ctx) {
      if (!ctx.args.length) throw new UsageError('rpm needs its arguments after --');
    },
    async run(ctx) {
      const argv = ['rpm', ...ctx.args];
      // A wrapper stands in for rpm (it may be an alias): without a checkpoint, rpm still runs, after one warning.
      let cps: Checkpoints;
      let began: { tx: Transactions; checkpoint: Checkpoint };
      try {
        cps = await open(ctx);
        const tx = new Transactions(cps);
        began = { tx, checkpoint: (await ctx.out.progress('checkpointing', tx.begin({ title: ctx.options.message ?? argv.join(' '), command: argv, kind: 'rpm' }))).checkpoint };
      } catch (e) {
        process.stderr.write(`zcp: warning: no checkpoint before this rpm run: ${(e as Error).message}\n`);
        return runCommand(argv, undefined, ctx.out.options.json);
      }
      const { tx, checkpoint } = began;
      ctx.out.note(`checkpoint ${checkpoint.id} (TID ${checkpoint.tid}); running rpm`);
      return settle(ctx, cps, 'rpm', await recordRun(tx, checkpoint, () => runCommand(argv, checkpoint.tid, ctx.out.options.json)));
    },
  },
  undo: {
    usage: 'zcp undo TID [--with-later] [--replace-conffiles]',
    summary: 'undo one transaction while later ones stay: its old packages rebuilt from the checkpoint before it and installed back, as a transaction of its own; confirms',
    examples: ['zcp undo 12 --dry-run', 'zcp undo 12 --yes', 'zcp undo 12 --with-later   # the later ones that need it first'],
    options: ['with-later', 'replace-conffiles', 'yes', 'dry-run'],
    check(ctx) {
      want(ctx, 1, 1, 'one TID');
      if (!/^[1-9][0-9]*$/.test(ctx.args[0]!)) throw new UsageError(`undo takes a TID, not "${ctx.args[0]}"`);
    },
    async run(ctx) {
      const cps = await open(ctx);
      await cps.refusePending();
      const tx = new Transactions(cps);
      const tid = Number(ctx.args[0]);
      const how = { replaceConffiles: ctx.options.replaceConffiles === true };
      const plan = await ctx.out.progress('planning', planUndo(tx, tid, how));
      for (const l of undoLines(plan, how.replaceConffiles)) ctx.out.line(l);
      if (ctx.dryRun) {
        ctx.out.line('(dry run: nothing changed)');
        ctx.out.result({ undo: plan, transactions: [], dryRun: true });
        return 0;
      }
      let withLater = ctx.options.withLater === true;
      if (plan.later.length && !withLater) {
        withLater = await ctx.out.confirm(`Later transactions need transaction ${tid}. Undo ${plan.later.map((l) => l.tid).join(', ')} first, newest first?`, { byYes: false });
        if (!withLater) throw new CheckpointError('DEPENDED_ON', `later transactions need what transaction ${tid} brought (${plan.later.map((l) => l.tid).join(', ')}); nothing changed. zcp undo ${tid} --with-later undoes them first`, String(tid));
      }
      if (!(await ctx.out.confirm(withLater && plan.later.length ? `Undo transactions ${[...plan.later.map((l) => l.tid), tid].join(', ')}, in this order?` : `Undo transaction ${tid}?`))) {
        ctx.out.line('not confirmed: nothing changed');
        ctx.out.result({ undo: plan, transactions: [], dryRun: false });
        return 1;
      }
      const done: HistoryEntry[] = [];
      // The plan shown above is the first one's: planned again only once the later ones are undone.
      const undoOne = async (t: number, planned?: UndoPlan): Promise<number> => {
        const p = planned ?? (await planUndo(tx, t, how));
        for (const l of p.later) {
          const code = await undoOne(l.tid); // newest first: the list is
          if (code !== 0) return code;
        }
        const again = p.later.length ? await planUndo(tx, t, how) : p;
        const ran = await carryOutUndo(cps, again, {
          ...how,
          run: runner(ctx),
          progress: (l, w) => ctx.out.progress(l, w),
          onCheckpoint: (c) => ctx.out.note(`checkpoint ${c.id} (TID ${c.tid}); undoing transaction ${t}`),
        });
        done.push(ran.entry);
        ctx.out.note(ran.code === 0 ? `transaction ${ran.entry.tid} undid transaction ${t}: ${packageChanges(ran.entry.changes)}` : `undoing transaction ${t} failed (exit ${ran.code}); zcp rollback ${ran.checkpoint.id} takes the system back to before it`);
        return ran.code;
      };
      const code = await undoOne(tid, plan);
      ctx.out.result({ undo: plan, transactions: done, dryRun: false });
      return code;
    },
  },
  hook: {
    usage: 'zcp hook install|remove apt|dnf',
    summary: 'make every apt (apt.conf.d Pre/Post-Invoke) or dnf (plugin) run a zcp transaction, or stop it',
    examples: ['zcp hook install apt', 'zcp hook remove apt --dry-run', 'zcp --dataset rpool/ROOT/fedora hook install dnf'],
    // -m: the title the dnf plugin gives pre (its command line).
    options: ['message', 'dry-run'],
    check(ctx) {
      want(ctx, 2, 2, 'install|remove apt|dnf');
      const [action, manager] = ctx.args as [string, string];
      if (manager !== 'apt' && manager !== 'dnf') throw new UsageError(`hooks exist for apt and dnf, not "${manager}"`);
      if (!['install', 'remove', 'pre', 'post'].includes(action)) throw new UsageError(`hook takes install or remove, not "${action}"`);
    },
    async run(ctx) {
      const [action, manager] = ctx.args as [string, 'apt' | 'dnf'];
      if (action === 'pre' || action === 'post') return runHook(ctx, action, manager);
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
      const zcp = [process.execPath, fileURLToPath(new URL('./main.cjs', import.meta.url)), ...where];
      const files = manager === 'apt' ? [aptHook(root, zcp)] : dnfHook(root, zcp);
      const done = action === 'install' ? installFiles(root, files, { dryRun: ctx.dryRun }) : removeFiles(files.map((f) => f.path), { dryRun: ctx.dryRun });
      const verb = action === 'install' ? (ctx.dryRun ? 'would write' : 'wrote') : ctx.dryRun ? 'would remove' : 'removed';
      ctx.out.line(done.length ? `${verb} ${done.join(', ')}` : `no zcp ${manager} hook under ${root}`);
      ctx.out.result({ [action === 'install' ? 'written' : 'removed']: done, dryRun: ctx.dryRun });
      return 0;
    },
  },
} satisfies Record<string, Command>;

/**
 * Runs the transaction's command directly (no shell: its words are data),
 * with ZCP_TRANSACTION set so hooks inside know not to checkpoint again. With
 * --json its stdout goes to stderr, keeping stdout for the JSON document.
 * Resolves to its exit status (127 when it could not be started, 128+N on signal N).
 */
function runCommand(argv: string[], tid: number | undefined, json: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['inherit', json ? process.stderr : 'inherit', 'inherit'],
      env: { ...process.env, ...(tid === undefined ? {} : { ZCP_TRANSACTION: String(tid) }) },
    });
    child.on('error', (e) => {
      process.stderr.write(`zcp: cannot run ${argv[0]}: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}

/** "N package change(s)" of a diff (none when there is none). */
function packageChanges(d: Pick<PackageDiff, 'installed' | 'removed' | 'upgraded' | 'downgraded'> | undefined): string {
  const n = d ? d.installed.length + d.removed.length + d.upgraded.length + d.downgraded.length : 0;
  return `${n} package change${n === 1 ? '' : 's'}`;
}

/** What a committed transaction did, and whether it wants a reboot. */
function committedNote(e: HistoryEntry): string {
  return `transaction ${e.tid} committed: ${packageChanges(e.changes)}${e.touches?.length ? `; touches ${e.touches.join(', ')}: reboot to use it` : ''}`;
}

/** zcp's way of running a transaction's command: on its terminal (stdout on stderr with --json). */
function runner(ctx: Context): CommandRunner {
  return (argv, tid) => runCommand(argv, tid, ctx.out.options.json);
}

/** After a transaction's command ran and its end was recorded: say so, or offer (or, with --rollback-on-failure, take) the rollback. */
async function settle(ctx: Context, cps: Checkpoints, label: string, ran: Ran, plan?: unknown): Promise<number> {
  const extra = plan === undefined ? {} : { plan };
  const { code, checkpoint } = ran;
  if (code === 0) {
    ctx.out.note(committedNote(ran.entry));
    ctx.out.result({ ...extra, transaction: ran.entry, rolledBack: false });
    return 0;
  }
  const failed = ran.entry;
  ctx.out.note(`${label} failed (exit ${code})`);
  const back = ctx.options.rollbackOnFailure === true || (await ctx.out.confirm(`${label} failed. Roll back to ${checkpoint.id}?`, { byYes: false }));
  let rolledBack = false;
  if (back) {
    const r = await ctx.out.progress('rolling back', rollBackRun(cps, ran));
    rolledBack = r.done;
    ctx.out.note(`rolled back to ${checkpoint.id}`);
  } else {
    ctx.out.note(`left as it is; zcp rollback ${checkpoint.id} undoes it later`);
  }
  ctx.out.result({ ...extra, transaction: { ...failed, ...(rolledBack ? { state: 'rolled-back' } : {}) }, rolledBack });
  return code;
}

/** apt-clone's "Upgrade Checkpoint" (the library's upgradeInBootEnvironment), said and, on failure, offered to be dropped. */
async function upgradeIntoClone(ctx: Context, cps: Checkpoints, begin: CreateOptions, aptArgs: string[], plan: unknown): Promise<number> {
  const up = await upgradeInBootEnvironment(cps, begin, aptArgs, runner(ctx), {
    progress: (l, w) => ctx.out.progress(l, w),
    onCloned: (c, name) => ctx.out.note(`checkpoint ${c.id}; boot environment ${name} cloned from it; running apt-get there (the running system is not touched)`),
  });
  const { code, changes, entry: transaction, bootEnvironment: be, checkpoint } = up;
  const name = be.name;
  if (code === 0) {
    ctx.out.line(`boot environment ${name}: ${packageChanges(changes ?? undefined)}; zcp activate ${name} makes it boot next`);
    ctx.out.result({ plan, checkpoint: checkpointJson(checkpoint), bootEnvironment: be, changes, transaction, destroyed: false });
    return 0;
  }
  ctx.out.note(`apt-get failed (exit ${code}) in boot environment ${name}; the running system is untouched`);
  const drop = ctx.options.rollbackOnFailure === true || (await ctx.out.confirm(`apt-get failed. Destroy boot environment ${name} and checkpoint ${checkpoint.id}?`, { byYes: false }));
  if (drop) {
    await discardUpgrade(cps, up);
    ctx.out.note(`destroyed ${name} and ${checkpoint.id}`);
  } else {
    ctx.out.note(`kept ${name} as apt left it; zcp destroy ${name} removes it`);
  }
  ctx.out.result({ plan, checkpoint: checkpointJson(checkpoint), bootEnvironment: be, changes, transaction, destroyed: drop });
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
      const apt = manager === 'apt' ? aptProcess() : undefined;
      const command = apt?.argv;
      const title = ctx.options.message ?? command?.join(' ') ?? `${manager} (hook)`;
      const c = await hookBegin(cps, manager, title, command, apt?.pid ?? process.ppid);
      ctx.out.note(`checkpoint ${c.id} (TID ${c.tid}) before this ${manager} run; zcp rollback ${c.id} undoes it`);
      ctx.out.result({ checkpoint: checkpointJson(c) });
    } else {
      const ended = await hookEnd(cps, manager);
      if (ended?.broken.length) {
        ctx.out.note(`transaction ${ended.entry.tid} failed: dpkg left ${ended.broken.join(', ')}; zcp rollback ${ended.entry.checkpoint} undoes this ${manager} run`);
      } else if (ended) {
        ctx.out.note(committedNote(ended.entry));
      }
      if (ended) ctx.out.result({ transaction: ended.entry });
    }
  } catch (e) {
    const warning = `${phase === 'pre' ? `no checkpoint before this ${manager} run` : `this ${manager} run was not recorded`}: ${(e as Error).message}`;
    process.stderr.write(`zcp: warning: ${warning}\n`);
    syslog('warning', `the ${manager} hook: ${warning}`);
  }
  return 0;
}

/** An undo's plan as the CLI prints it: what goes back and from where, who needs it, the conffiles, the commands. */
function undoLines(plan: UndoPlan, replaceConffiles: boolean): string[] {
  const out = [`undo transaction ${plan.transaction.tid} (${oneLine(plan.transaction.title)}):`];
  if (plan.rebuild.length) out.push(`  the old packages are rebuilt from checkpoint ${plan.source}, taken before it (no repository needed)`);
  const actions = actionLines(plan);
  out.push(...(actions.length ? actions : ['  nothing to do: its packages are as they were before it']));
  for (const l of plan.later) out.push(`  needed by later transaction ${l.tid} (${oneLine(l.title)}): ${l.why.join('; ')}`);
  for (const u of plan.unmet) out.push(`  would break ${u.name}, which no transaction of zcp's brought: ${u.problems.join('; ')}`);
  const rule =
    plan.manager === 'rpm'
      ? "rpm keeps it where the package marks it %config(noreplace) (the package's beside it as .rpmnew), else installs the package's and saves it as .rpmsave"
      : replaceConffiles
        ? "replaced by the package's"
        : "kept as it is (--replace-conffiles takes the package's)";
  for (const c of plan.conffiles) out.push(`  conffile ${c.path} (${c.package}) was edited: ${rule}`);
  for (const c of plan.commands) out.push(`  run: ${c}`);
  return out;
}

