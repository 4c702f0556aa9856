// One step of the three-boot test, run as the booted root's PID 1 runs it
// (test/boot/boot.ts's init): plain JS with the host's node, zcp from this
// project's dist/, its facts written to /run/job/STEP.json for the host to check.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const step = process.argv[2];

const sh = (...argv) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8' }).trim();
/** zcp on the running system (no --root, no --dataset: zcp finds it at /), --json (before apt's own words). */
function zcp(command, ...args) {
  const r = spawnSync(process.execPath, [CLI, command, '--json', ...args], { encoding: 'utf8', input: '' });
  process.stdout.write(`$ zcp ${command} ${args.join(' ')} -> ${r.status}\n${r.stdout}${r.stderr}`);
  let out = null;
  try { out = JSON.parse(r.stdout); } catch { /* reported as null */ }
  return { code: r.status, json: out };
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
}
writeFileSync(`/run/job/${step}.json`, JSON.stringify(report, null, 1));
