// The guest half of the power-cut test (test/power-cut/power-cut.test.ts), plain JS over the
// built library. `first`: a pool on the host's disk image, a system of two datasets with two
// checkpoints, then a rollback whose process resets the machine (sysrq b, nothing synced)
// after the first dataset. `second`: import the pool again; zcp must show the interrupted
// rollback, then finish it; the files must be the checkpoint's, byte for byte.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [mode] = process.argv.slice(2);
const here = new URL('.', import.meta.url).pathname;
const CLI = join(here, '../../dist/cli/main.cjs');
const job = process.env.ZCP_JOB_DIR;
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const datasets = ['pc/sys', 'pc/sys/var'];
const flags = [...datasets.flatMap((d) => ['--dataset', d]), '--root', '/pc/sys'];
const zcp = (...args) => execFileSync(process.execPath, [CLI, ...flags, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** Every file of a mounted dataset (not the nested one, not .zfs) with its content hash. */
function digest(dir, skip = []) {
  const out = [];
  const walk = (d) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (skip.includes(p) || f === '.zfs') continue;
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${p} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}
const state = () => ({ root: digest('/pc/sys', ['/pc/sys/var']), var: digest('/pc/sys/var') });
const disk = () => {
  sh('modprobe', 'virtio_blk');
  for (let i = 0; i < 100 && !existsSync('/dev/vda'); i++) execFileSync('sleep', ['0.1']);
};

if (mode === 'first') {
  disk();
  // A GPT partition: a whole-disk vdev would have zpool wait for udev, which the guest lacks.
  execFileSync('sfdisk', ['-q', '-X', 'gpt', '/dev/vda'], { input: ',,\n' });
  for (let i = 0; i < 100 && !existsSync('/dev/vda1'); i++) execFileSync('sleep', ['0.1']);
  sh('zpool', 'create', '-f', '-o', 'ashift=12', '-O', 'mountpoint=/pc', 'pc', '/dev/vda1');
  sh('zfs', 'create', '-p', 'pc/sys/var');
  const write = (tag) => {
    writeFileSync('/pc/sys/etc-file', `${tag}\n`);
    writeFileSync('/pc/sys/var/status', `${tag}\n`.repeat(1000));
  };
  write('base');
  const base = JSON.parse(zcp('create', '-m', 'base', '--json')).checkpoint;
  const atBase = state();
  write('later');
  zcp('create', '-m', 'later');
  write('now');
  writeFileSync(join(job, 'base.json'), JSON.stringify({ id: base.id, ...atBase }));
  sh('sync');
  writeFileSync('/proc/sys/kernel/sysrq', '1');
  // The power goes right after the first dataset is rolled back.
  execFileSync(process.execPath, [CLI, ...flags, 'rollback', base.id, '--yes'], {
    env: { ...process.env, ZCP_FAULT: 'rollback-first-dataset', ZCP_FAULT_SIGNAL: 'power-cut' },
    stdio: 'inherit',
  });
  console.log('power-cut: still running after the reset: the fault point was never reached');
  process.exit(1);
} else if (mode === 'second') {
  const expected = JSON.parse(process.env.ZCP_POWER_CUT_BASE);
  disk();
  sh('zpool', 'import', '-d', '/dev', '-f', 'pc');
  const listed = JSON.parse(zcp('list', '--json'));
  const report = { pending: listed.pendingRollback, checkpoints: listed.checkpoints.map((c) => c.id), halfway: state() };
  const repaired = JSON.parse(zcp('repair', '--yes', '--json'));
  report.repaired = repaired.repaired;
  report.after = state();
  report.pendingAfter = JSON.parse(zcp('list', '--json')).pendingRollback;
  report.rootBack = report.after.root === expected.root;
  report.varBack = report.after.var === expected.var;
  // The next checkpoint and rollback work.
  const next = JSON.parse(zcp('create', '-m', 'after the power cut', '--json')).checkpoint;
  writeFileSync('/pc/sys/etc-file', 'changed again\n');
  zcp('rollback', next.id, '--yes');
  report.nextRollback = readFileSync('/pc/sys/etc-file', 'utf8') === 'base\n';
  writeFileSync(join(job, 'report.json'), JSON.stringify(report, null, 2));
  sh('zpool', 'export', 'pc');
} else {
  console.error('usage: guest.mjs first|second');
  process.exit(2);
}
