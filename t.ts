import { readFileSync } from 'node:fs';
import { addon } from './src/addon.js';
import { pkgdb } from './src/index.js';
const f = '.cache/bench/rpmroot-400/var/lib/rpm/rpmdb.sqlite';
const buf = readFileSync(f);
const a = addon().pkgdb;
async function t(label: string, fn: () => unknown, n = 100) {
  for (let i = 0; i < 10; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  console.log(label, ((performance.now() - t0) / n).toFixed(3), 'ms');
}
await t('native sqlite', () => a.readSqliteRpmdb(buf, Buffer.alloc(0)));
await t('readRpmDb', () => pkgdb.readRpmDb('.cache/bench/rpmroot-400'));
await t('readRpmDb dbPath', () => pkgdb.readRpmDb('.cache/bench/rpmroot-400', { dbPath: 'var/lib/rpm', backend: 'sqlite' }));
