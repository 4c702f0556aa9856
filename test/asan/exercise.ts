/**
 * Runs every ZFS entry point of the addon, on success and error paths, many
 * times, in a process built for AddressSanitizer/LeakSanitizer (test/asan/run.ts).
 * Exits 0 when every call behaved; the sanitizer reports what leaked or broke.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { pkgdb, zfs } from '../../src/index.js';

const POOL = process.argv[2] ?? 'asan';
const ROUNDS = Number(process.argv[3] ?? 50);
const ds = `${POOL}/fs`;
const ignore = () => undefined;

await zfs.create(ds);
execFileSync('zfs', ['allow', '-s', '@s', 'send', ds]);
execFileSync('zfs', ['allow', '-u', 'nobody', 'hold,@s', ds]); // getDelegations then reads nested lists
for (let i = 0; i < ROUNDS; i++) {
  await zfs.snapshot([`${ds}@s${i}`], { 'zcp:i': String(i) });
  await zfs.snapshot([`${ds}@s${i}`]).catch(ignore); // SNAPSHOT_EXISTS: errlist
  await zfs.snapshot([`${POOL}/missing@s`]).catch(ignore);
  await zfs.exists(`${ds}@s${i}`);
  await zfs.hold({ [`${ds}@s${i}`]: 'asan' });
  await zfs.hold({ [`${ds}@s${i}`]: 'asan' }).catch(ignore); // HOLD_EXISTS
  await zfs.getHolds(`${ds}@s${i}`);
  await zfs.getDelegations(ds); // libzfs, loaded once
  await zfs.getDelegations(`${POOL}/missing`).catch(ignore); // DATASET_NOT_FOUND
  await zfs.destroySnapshots([`${ds}@s${i}`]).catch(ignore); // held
  await zfs.release({ [`${ds}@s${i}`]: ['asan'] });
  await zfs.release({ [`${ds}@s${i}`]: ['asan'] }).catch(ignore); // HOLD_NOT_FOUND
  await zfs.bookmark({ [`${ds}#b${i}`]: `${ds}@s${i}` });
  await zfs.getBookmarks(ds, ['guid']);
  await zfs.clone(`${ds}@s${i}`, `${POOL}/clone${i}`, { 'zcp:c': 'x' });
  await zfs.clone(`${ds}@s${i}`, `${POOL}/clone${i}`).catch(ignore);
  await zfs.promote(`${POOL}/clone${i}`).catch(ignore);
  await zfs.promote(ds).catch(ignore);
  await zfs.listSnapshots(ds, { props: ['zcp:i', 'guid'] });
  await zfs.listChildren(POOL, { recursive: true });
  await zfs.getProps(ds);
  await zfs.setUserProps(ds, { 'zcp:round': String(i) });
  await zfs.channelProgram(POOL, 'error("x")').catch(ignore);
  await zfs.channelProgram(POOL, 'return {a = {b = {1, 2, "three"}}}');
  await zfs.rollback(`${POOL}/none`).catch(ignore);
  await zfs.rename(`${POOL}/none`, `${POOL}/none2`).catch(ignore);
}
await Promise.all(Array.from({ length: 200 }, (_, i) => zfs.exists(i % 2 ? ds : `${POOL}/nope`)));

// The package-database parsers, on real input and on corrupted copies of it.
let seed = 1;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
const status = readFileSync('/var/lib/dpkg/status');
for (let i = 0; i < 300; i++) {
  const b = Buffer.from(status);
  for (let k = 0; k < 16; k++) b[rand(b.length)] = rand(256);
  try {
    pkgdb.parseDpkgStatus(i === 0 ? status : b);
  } catch {
    // CORRUPT is the expected answer to most of them
  }
}
// An rpm-style sqlite database of random header blobs, made by Python's sqlite3.
const dbDir = '/tmp/asan-rpmdb/var/lib/rpm';
mkdirSync(dbDir, { recursive: true });
execFileSync('/usr/bin/python3', ['-c', `import sqlite3, os, random
random.seed(3)
c = sqlite3.connect('${dbDir}/rpmdb.sqlite')
c.execute('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)')
for n in (8, 40, 5000, 70000):
    c.execute('INSERT INTO Packages (blob) VALUES (?)', (os.urandom(n),))
c.commit()`]);
const db = readFileSync(`${dbDir}/rpmdb.sqlite`);
for (let i = 0; i < 200; i++) {
  const b = Buffer.from(db);
  if (i > 0) for (let k = 0; k < 8; k++) b[100 + rand(b.length - 100)] = rand(256);
  writeFileSync(`${dbDir}/rpmdb.sqlite`, b);
  await pkgdb.readRpmDb('/tmp/asan-rpmdb').catch(ignore);
  try {
    pkgdb.parseRpmHeader(b.subarray(rand(b.length - 64), b.length));
  } catch {
    // CORRUPT
  }
}
process.stdout.write(`asan exercise: ${ROUNDS} rounds done\n`);
// An explicit exit: LeakSanitizer's check runs from exit(), which Node's
// natural end of the event loop does not reach.
process.exit(0);
