// Where the shared rpmdb fixtures are (ndb and Berkeley DB made by real rpm,
// see their README): ZCP_SHARED_DIR, else `../shared` next to the project, else
// /work/shared (where a clone elsewhere, as CI makes, finds them). Missing
// fixtures fail the tests that need them; they are never skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const PROJECT = join(import.meta.dirname, '..');

export function rpmdbFixtures(): string {
  const candidates = [process.env.ZCP_SHARED_DIR, join(PROJECT, '../shared'), '/work/shared'].filter((d): d is string => Boolean(d));
  for (const dir of candidates) {
    const path = join(dir, 'fixtures/rpmdb');
    if (existsSync(join(path, 'expected.tsv'))) return path;
  }
  throw new Error(`the shared rpmdb fixtures are not found (looked in ${candidates.join(', ')}); set ZCP_SHARED_DIR`);
}
