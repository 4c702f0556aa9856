/**
 * Runs every ZFS entry point of the addon, on success and error paths, many
 * times, in a process built for AddressSanitizer/LeakSanitizer (test/asan/run.ts).
 * Exits 0 when every call behaved; the sanitizer reports what leaked or broke.
 */
import { zfs } from '../../src/index.js';

const POOL = process.argv[2] ?? 'asan';
const ROUNDS = Number(process.argv[3] ?? 50);
const ds = `${POOL}/fs`;
const ignore = () => undefined;

await zfs.create(ds);
for (let i = 0; i < ROUNDS; i++) {
  await zfs.snapshot([`${ds}@s${i}`], { 'zcp:i': String(i) });
  await zfs.snapshot([`${ds}@s${i}`]).catch(ignore); // SNAPSHOT_EXISTS: errlist
  await zfs.snapshot([`${POOL}/missing@s`]).catch(ignore);
  await zfs.exists(`${ds}@s${i}`);
  await zfs.hold({ [`${ds}@s${i}`]: 'asan' });
  await zfs.hold({ [`${ds}@s${i}`]: 'asan' }).catch(ignore); // HOLD_EXISTS
  await zfs.getHolds(`${ds}@s${i}`);
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
process.stdout.write(`asan exercise: ${ROUNDS} rounds done\n`);
// An explicit exit: LeakSanitizer's check runs from exit(), which Node's
// natural end of the event loop does not reach.
process.exit(0);
