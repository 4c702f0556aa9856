/**
 * The demo's guest half: apt-clone's story told with the real `zcp` command
 * on a file-backed pool. A small real Debian-style root (its own apt, dpkg
 * and shell; packages made with dpkg-deb in a local repository) on two
 * datasets; a checkpointed apt install; an upgrade whose postinst fails in
 * dpkg, the rollback offered and taken; `zcp list` before and after; a
 * good upgrade into a boot environment, activated; an RPM-style rollback to
 * a date that undoes the later transactions newest first; undo of one
 * transaction, hold,
 * prune; the apt hook.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aptRepository, buildDeb, initDpkgRoot, initSelfContainedRoot } from '../test/support/systems.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.cjs', import.meta.url));
const ROOT = '/demo/ROOT/debian';
const env = { ...process.env, ZCP_DATASETS: 'demo/ROOT/debian,demo/ROOT/debian/var', ZCP_ROOT: ROOT };

const say = (s: string) => process.stdout.write(`\n## ${s}\n`);
function sh(program: string, ...args: string[]): string {
  const r = spawnSync(program, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
/** Runs `zcp ARGS` as a user would type it (the system comes from ZCP_DATASETS/ZCP_ROOT), answering `answer` if given. */
function zcp(args: string[], answer?: string): number {
  process.stdout.write(`# zcp ${args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')}${answer ? `   (answering ${answer.trim()})` : ''}\n`);
  const r = spawnSync(process.execPath, [CLI, ...args], { env, input: answer ?? '', stdio: ['pipe', 'inherit', 'inherit'] });
  if (r.status !== 0) process.stdout.write(`(exit ${r.status})\n`);
  return r.status ?? 1;
}
function must(code: number, want = 0): void {
  if (code !== want) throw new Error(`expected exit ${want}, got ${code}`);
}
const version = () => readFileSync(`${ROOT}/usr/share/hello/version`, 'utf8').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

say('a system on ZFS: demo/ROOT/debian (/) and demo/ROOT/debian/var, with its own apt, dpkg and shell, and a local repository');
sh('zfs', 'create', '-p', '-o', `mountpoint=${ROOT}`, 'demo/ROOT/debian');
sh('zfs', 'create', 'demo/ROOT/debian/var');
initDpkgRoot(ROOT);
const repo = aptRepository([
  buildDeb('hello', '1.0-1', { 'usr/share/hello/version': '1.0\n' }),
  buildDeb('hello', '2.0-1', { 'usr/share/hello/version': '2.0 (broken)\n' }, 'echo "hello postinst: cannot migrate the configuration" >&2; exit 1'),
  buildDeb('hello', '2.0-2', { 'usr/share/hello/version': '2.0\n' }),
  buildDeb('tool-a', '1.0', { 'usr/share/tool-a/x': 'a\n' }),
  buildDeb('tool-b', '1.0', { 'usr/share/tool-b/x': 'b\n' }),
  buildDeb('tool-c', '1.0', { 'usr/share/tool-c/x': 'c\n' }),
]);
initSelfContainedRoot(ROOT, repo);
must(zcp(['status']));

say('install hello 1.0 with a checkpoint (apt-clone\'s "Rollback Checkpoint": in place)');
must(zcp(['apt', '--yes', 'install', 'hello=1.0-1']));
must(zcp(['list']));
const before = version();

say('upgrade to hello 2.0-1, whose postinst fails: dpkg fails, zcp offers the rollback');
must(zcp(['apt', '--yes', 'install', 'hello=2.0-1'], 'y\n'), 100);
process.stdout.write(`hello's files say ${version()} (before the upgrade: ${before})\n`);
must(zcp(['list']));
must(zcp(['history']));

say('the fixed 2.0-2 goes into a boot environment instead ("Upgrade Checkpoint", -s): the running system is not touched');
must(zcp(['apt', '-s', '--yes', 'upgrade']));
process.stdout.write(`the running system still has hello ${version()}\n`);
const be = JSON.parse(spawnSync(process.execPath, [CLI, 'list', '--json'], { env, encoding: 'utf8' }).stdout).bootEnvironments.find((b: { origin: string | null }) => b.origin)!.name as string;
must(zcp(['activate', be]));
must(zcp(['list']));
must(zcp(['destroy', 'debian', '--yes']), 1);

say('RPM-style: three more transactions at different times, then roll back to a date between the first and the second: the later two are undone, newest first');
must(zcp(['apt', '--yes', '-m', 'tool-a', 'install', '-qq', 'tool-a']));
await sleep(2100);
const between = new Date();
process.stdout.write(`(the date: ${between.toISOString()})\n`);
await sleep(2100);
must(zcp(['apt', '--yes', '-m', 'tool-b', 'install', '-qq', 'tool-b']));
must(zcp(['apt', '--yes', '-m', 'tool-c', 'install', '-qq', 'tool-c']));
must(zcp(['rollback', '--to', between.toISOString(), '--dry-run']));
must(zcp(['rollback', '--to', between.toISOString(), '--yes']));
must(zcp(['history']));
process.stdout.write(`installed now: ${sh('chroot', ROOT, 'dpkg-query', '-W', '-f', '${Package} ${Version}\\n').trim().split('\n').join(', ')}\n`);
must(zcp(['activate', 'debian']));

say('housekeeping: undo one transaction while the later ones stay (a transaction of its own), hold, prune, release');
must(zcp(['undo', '4', '--dry-run']));
must(zcp(['undo', '4', '--yes']));
must(zcp(['hold', 'zcp-1']));
must(zcp(['prune', '--keep', '1', '--yes']));
must(zcp(['release', 'zcp-1']));

say('the apt hook: every apt run becomes a zcp transaction, titled by its command line');
must(zcp(['hook', 'install', 'apt']));
// The host's apt-get pointed at this root: APT_CONFIG sets Dir (so apt reads the root's
// apt.conf.d, where the hook is) and a source as the host sees the root's repository.
const aptConfig = '/demo/apt-for-debian.conf';
mkdirSync('/demo/apt-lists/partial', { recursive: true });
writeFileSync('/demo/apt-sources.list', `deb [trusted=yes] file:${ROOT}/srv/repo ./\n`);
writeFileSync(aptConfig, [`Dir "${ROOT}/";`, `Dir::State::status "${ROOT}/var/lib/dpkg/status";`, 'Dir::Etc::SourceList "/demo/apt-sources.list";', 'Dir::Etc::SourceParts "/nonexistent";', 'Dir::State::Lists "/demo/apt-lists/";', `DPkg::Options { "--root=${ROOT}"; };`, ''].join('\n'));
const hostApt = (...args: string[]) => {
  process.stdout.write(`# APT_CONFIG=${aptConfig} apt-get ${args.join(' ')}\n`);
  must(spawnSync('apt-get', args, { env: { ...process.env, APT_CONFIG: aptConfig }, stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 1);
};
hostApt('-qq', 'update');
hostApt('-y', '-qq', 'install', 'tool-c');
must(zcp(['history']));
must(zcp(['hook', 'remove', 'apt']));

process.stdout.write('\nzcp demo: done\n');
