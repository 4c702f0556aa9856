/**
 * The demo's guest half: a small system dataset, a checkpoint of it through
 * the zcp library (one atomic lzc_snapshot of two datasets, with zcp: user
 * properties), then the checkpoint list as the zfs command shows it.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { zfs } from '../src/index.js';

const say = (s: string) => process.stdout.write(`\n# ${s}\n`);
const cmd = (c: string, ...args: string[]) => {
  process.stdout.write(`$ ${[c, ...args].join(' ')}\n`);
  process.stdout.write(execFileSync(c, args, { encoding: 'utf8' }));
};

say('is ZFS usable here?');
const status = await zfs.available();
process.stdout.write(`${JSON.stringify(status)}\n`);
if (!status.ok) process.exit(69);

say('a system: a root dataset and /var, on the file-backed pool "demo"');
cmd('zfs', 'create', '-p', 'demo/ROOT/debian');
cmd('zfs', 'create', 'demo/ROOT/debian/var');
mkdirSync('/demo/ROOT/debian/etc', { recursive: true });
writeFileSync('/demo/ROOT/debian/etc/os-release', 'PRETTY_NAME="zcp demo root"\n');

say('checkpoint both datasets through the library: one atomic snapshot, one txg');
const name = `zcp-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}`;
const t0 = performance.now();
await zfs.snapshot([`demo/ROOT/debian@${name}`, `demo/ROOT/debian/var@${name}`], {
  'zcp:kind': 'manual',
  'zcp:title': 'before the demo upgrade',
});
process.stdout.write(`checkpoint ${name} taken in ${(performance.now() - t0).toFixed(1)} ms\n`);
process.stdout.write(`exists(demo/ROOT/debian@${name}) = ${await zfs.exists(`demo/ROOT/debian@${name}`)}\n`);

say('the checkpoint list');
cmd('zfs', 'list', '-t', 'snapshot', '-o', 'name,createtxg,zcp:kind,zcp:title');

say('taking the same checkpoint again fails with a stable code');
try {
  await zfs.snapshot([`demo/ROOT/debian@${name}`]);
} catch (e) {
  const err = e as { code: string; message: string };
  process.stdout.write(`${err.code}: ${err.message}\n`);
}
