// One step of the boot tests, run as the booted root's PID 1 (or its systemd)
// runs it (test/boot/boot.ts's init): plain JS with the host's node, its facts
// written to /run/job/STEP.json for the host to check. Steps one to three run
// zcp from this project's dist/; step four installs zcp's .deb in the root and
// runs that zcp, on Debian's own nodejs, under the root's own systemd.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.cjs', import.meta.url));
const step = process.argv[2];

const sh = (...argv) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' }).trim();
/** zcp on the running system (no --root, no --dataset: zcp finds it at /), this project's build on the host's node. */
function zcp(command, ...args) {
  return zcpJson([process.execPath, CLI], command, args);
}
const facts = () => ({
  root: sh('findmnt', '-n', '-o', 'SOURCE', '/'),
  var: sh('findmnt', '-n', '-o', 'SOURCE', '/var'),
  versions: Object.fromEntries(sh('dpkg-query', '-W', '-f', '${Package} ${Version}\n').split('\n').map((l) => l.split(' '))),
});

const report = { step, ...facts() };
if (step === 'one') {
  // The boot environment `zcp apt -s upgrade` made (the debian project's scenario 5), chosen for the next boot.
  report.list = zcp('list');
  const made = report.list.json?.bootEnvironments?.find((b) => b.kind === 'clone');
  if (made) report.activate = zcp('activate', made.name);
} else if (step === 'two') {
  report.list = zcp('list');
  const self = report.list.json?.bootEnvironments?.find((b) => b.kind === 'system');
  if (self) report.destroy = zcp('destroy', self.name, '--yes');
  report.activate = zcp('activate', 'debian');
} else if (step === 'three') {
  report.list = zcp('list');
} else if (step === 'four') {
  Object.assign(report, installed());
}
/** A command's exit code and output (both streams), echoed to the step's log. */
function run(cmd, args, env = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: '', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LANG: 'C.UTF-8', ...env } });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  process.stdout.write(`$ ${cmd} ${args.join(' ')} -> ${r.status} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n${out}`);
  return { code: r.status, out, stdout: r.stdout ?? '' };
}

/** zcp COMMAND --json ARGS (--json before apt's own words) run as `argv`, its exit code and JSON (null if none). */
function zcpJson([cmd, ...pre], command, args) {
  const r = run(cmd, [...pre, command, '--json', ...args]);
  let json = null;
  try { json = JSON.parse(r.stdout); } catch { /* reported as null */ }
  return { code: r.code, json };
}

/** The installed zcp (/usr/sbin/zcp, Debian's node). (Functions, not consts: the steps above call them before this line runs.) */
function installedZcp(command, ...args) {
  return zcpJson(['/usr/sbin/zcp'], command, args);
}

/** ansible-playbook's PLAY RECAP for this host: ok, changed, failed, skipped. */
function recap(r) {
  const m = /localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/.exec(r.out);
  return { code: r.code, ...(m ? { ok: +m[1], changed: +m[2], failed: +m[4], skipped: +m[5] } : {}) };
}

/** The system as the Ansible runs may change it: dpkg's status (a hash), the packages, zcp's checkpoints. */
function state() {
  const list = installedZcp('list').json;
  return {
    status: createHash('sha256').update(readFileSync('/var/lib/dpkg/status')).digest('hex'),
    versions: facts().versions,
    checkpoints: (list?.checkpoints ?? []).map((c) => c.id),
  };
}

/** Step four: zcp as an admin gets it, from its .deb, on the booted real root under systemd. */
function installed() {
  const r = { init: readlinkSync('/proc/1/exe') };
  const deb = readdirSync('/run/job').find((f) => /^zcp_.*\.deb$/.test(f));
  // Offline: nodejs and its libraries come from the root's archive cache
  // (test/debian/root-image.ts). (Not --no-download: apt copies a local .deb
  // in as a download, and refuses it with that option.)
  r.install = run('apt-get', ['install', '-y', `/run/job/${deb}`]);
  r.packages = facts().versions;
  r.node = run('/usr/bin/node', ['--version']).stdout.trim();
  r.zcpVersion = run('/usr/sbin/zcp', ['--version']).stdout.trim();
  r.status = installedZcp('status');
  r.create = installedZcp('create', '-m', 'by hand');
  r.list = installedZcp('list');
  // The apt hook: a plain apt-get run becomes a zcp transaction.
  r.hook = installedZcp('hook', 'install', 'apt');
  r.aptWithHook = run('apt-get', ['install', '-y', '--no-download', 'jq']);
  r.history = installedZcp('history');
  // Retention by the timer's service, as systemd runs it: the config's keep.
  mkdirSync('/etc/zcp', { recursive: true });
  writeFileSync('/etc/zcp/config.json', JSON.stringify({ keep: 1 }));
  r.beforePrune = installedZcp('list');
  r.pruneService = run('systemctl', ['start', 'zcp-prune.service']);
  r.pruneResult = run('systemctl', ['show', '-p', 'Result', '-p', 'ExecMainStatus', 'zcp-prune.service']).stdout;
  r.afterPrune = installedZcp('list');
  r.enableTimer = run('systemctl', ['enable', 'zcp-prune.timer']);
  r.timerEnabled = run('systemctl', ['is-enabled', 'zcp-prune.timer']).stdout.trim();
  r.journal = run('journalctl', ['-t', 'zcp', '-o', 'cat', '--no-pager']).stdout;
  // The fleet playbook the package ships, with Debian's ansible-core on this host (connection local).
  const playbook = '/usr/share/doc/zcp/examples/ansible/zcp-upgrade.yml';
  const play = (...extra) => recap(run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', playbook, ...extra], { ANSIBLE_NOCOLOR: '1', HOME: '/root' }));
  // One upgrade the host picked (ansible.json), not all of them: the emulated
  // guest spent minutes on a dist-upgrade that scenario 3 already makes.
  const { upgrade } = JSON.parse(readFileSync('/run/job/ansible.json', 'utf8'));
  const action = ['-e', `zcp_apt_action='install --only-upgrade ${upgrade}'`];
  r.ansible = { before: state() };
  r.ansible.check = play(...action, '--check');
  r.ansible.afterCheck = state();
  r.ansible.real = play(...action);
  r.ansible.afterReal = state();
  r.ansible.again = play(...action);
  r.ansible.afterAgain = state();
  r.history2 = installedZcp('history');
  // Removal takes the hook with it: apt runs on without calling a zcp that is gone.
  r.remove = run('apt-get', ['remove', '-y', 'zcp']);
  r.hooksLeft = readdirSync('/etc/apt/apt.conf.d').filter((f) => /zcp/.test(f));
  r.aptAfterRemove = run('apt-get', ['install', '-y', '--no-download', 'uuid-runtime']);
  return r;
}

writeFileSync(`/run/job/${step}.json`, JSON.stringify(report, null, 1));
