/**
 * A real Debian 12 root for the tests, built on the host with mmdebstrap from
 * the Debian mirror this machine's apt already uses (read from apt itself at
 * run time: `apt-get indextargets`), and cached under .cache/debian-root by
 * its inputs. The root is installed from the `bookworm` suite alone; then
 * `bookworm-updates` and `bookworm-security` are added, so apt has real
 * newer versions to upgrade to, and everything the tests install or upgrade
 * is downloaded into the root's own archive cache (`apt-get -d`): the guest
 * has no network.
 *
 *   npx tsx test/debian/root-image.ts     # builds it (or says where the cached one is)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

/** Installed into the root by mmdebstrap: the minimal base, plus ZFS's tools (a root on ZFS has them). */
export const BASE_PACKAGES = ['zfsutils-linux'] as const;

/**
 * Downloaded, not installed: what the scenarios install in the guest. jq pulls
 * two libraries (libjq1, libonig5); uuid-runtime's maintainer scripts add a
 * system user (uuidd) and a systemd unit.
 */
export const SCENARIO_PACKAGES = ['jq', 'uuid-runtime'] as const;

/**
 * Installed at their newest versions (after the added suites, so they bring
 * no upgrades of their own): what a server managed from a fleet has, systemd
 * as init (the fourth boot runs under it: the prune timer's service, the
 * journal) and Ansible (the fleet playbook runs with connection local).
 */
export const SERVER_PACKAGES = ['systemd-sysv', 'ansible-core'] as const;

/** Downloaded, not installed: zcp's .deb depends on Debian's own nodejs, which apt installs with it in the guest. */
export const DEB_DEPENDENCIES = ['nodejs'] as const;

/** What the builder wrote beside the tar. */
export interface RootImage {
  /** The root as a tar (numeric owners, xattrs). */
  tar: string;
  /** When it was built (the upgrades on offer are that day's). */
  built: string;
  /** The mirrors it came from (read from this machine's apt). */
  sites: { debian: string; security: string };
  /** `apt-get -s upgrade` in the root when it was built: name, from, to. */
  upgrades: { name: string; from: string; to: string }[];
  /** Seconds the build took (0 when it came from the cache). */
  seconds: number;
}

/** The sites of this machine's Debian sources, as apt itself reads them. */
export function debianSites(): { debian: string; security: string } {
  const out = execFileSync('apt-get', ['indextargets', '--format', '$(SITE)\t$(CODENAME)\t$(TARGET_OF)', 'Created-By: Packages'], { encoding: 'utf8' });
  const site = (codename: string) =>
    out
      .split('\n')
      .map((l) => l.split('\t'))
      .find(([, c, of]) => c === codename && of === 'deb')?.[0];
  const debian = site('bookworm');
  const security = site('bookworm-security');
  if (!debian || !security) {
    throw new Error(`this machine's apt has no ${debian ? 'bookworm-security' : 'bookworm'} source: the real Debian root is built from the mirrors apt already uses (see /etc/apt/sources.list.d/)`);
  }
  return { debian, security };
}

function sources(sites: { debian: string; security: string }, suites: 'base' | 'all'): string {
  const stanza = (uri: string, suite: string) => `Types: deb\nURIs: ${uri}\nSuites: ${suite}\nComponents: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`;
  if (suites === 'base') return stanza(sites.debian, 'bookworm');
  return `${stanza(sites.debian, 'bookworm bookworm-updates')}\n${stanza(sites.security, 'bookworm-security')}`;
}

/** `apt-get -s upgrade` output's `Inst NAME [FROM] (TO SUITE [ARCH])` lines. */
export function parseSimulatedUpgrade(text: string): { name: string; from: string; to: string }[] {
  return [...text.matchAll(/^Inst (\S+) \[([^\]]+)\] \((\S+) /gm)].map((m) => ({ name: m[1]!, from: m[2]!, to: m[3]! }));
}

/** The cached root, built first if its inputs changed. */
export function debianRoot(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): RootImage {
  const sites = debianSites();
  const mmdebstrap = execFileSync('mmdebstrap', ['--version'], { encoding: 'utf8' }).trim();
  const inputs = JSON.stringify({ sites, mmdebstrap, BASE_PACKAGES, SCENARIO_PACKAGES, SERVER_PACKAGES, DEB_DEPENDENCIES, builder: readFileSync(fileURLToPath(import.meta.url), 'utf8') });
  const key = createHash('sha256').update(inputs).digest('hex').slice(0, 16);
  const dir = join(PROJECT, '.cache', 'debian-root', key);
  const infoFile = join(dir, 'root.json');
  if (existsSync(infoFile)) return { ...(JSON.parse(readFileSync(infoFile, 'utf8')) as RootImage), seconds: 0 };

  const t0 = Date.now();
  const work = `${dir}.building`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'sources.base'), sources(sites, 'base'));
  writeFileSync(join(work, 'sources.all'), sources(sites, 'all'));
  log(`debian root: mmdebstrap bookworm (minbase, ${BASE_PACKAGES.join(' ')}) from ${sites.debian}, then bookworm-updates and bookworm-security and ${SERVER_PACKAGES.join(' ')}`);
  // Customize hooks run in the finished root ($1), with /proc, /sys and /dev mounted and a policy-rc.d that starts nothing.
  const inRoot = (cmd: string) => `chroot "$1" sh -c '${cmd}'`;
  const args = [
    '--variant=minbase',
    '--mode=root',
    '--format=tar',
    '--components=main,contrib',
    '--aptopt=APT::Install-Recommends "false"',
    `--include=${BASE_PACKAGES.join(',')}`,
    // The package lists and the archive cache stay: the guest installs from them, offline.
    '--skip=cleanup/apt',
    `--customize-hook=rm -f "$1"/etc/apt/sources.list; cp ${work}/sources.all "$1"/etc/apt/sources.list.d/debian.sources`,
    // Only what the guest will install stays in the archive cache, not the debs the root was made of.
    `--customize-hook=${inRoot(`apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q -y install ${SERVER_PACKAGES.join(' ')} && apt-get clean`)}`,
    `--customize-hook=${inRoot('apt-get -s upgrade')} > ${work}/upgrade.txt`,
    `--customize-hook=${inRoot(`DEBIAN_FRONTEND=noninteractive apt-get -q -y -d upgrade && DEBIAN_FRONTEND=noninteractive apt-get -q -y -d install ${[...SCENARIO_PACKAGES, ...DEB_DEPENDENCIES].join(' ')}`)}`,
    'bookworm',
    join(work, 'root.tar'),
    join(work, 'sources.base'),
  ];
  const r = spawnSync('mmdebstrap', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`mmdebstrap failed (exit ${r.status}): see its output above`);
  const upgrades = parseSimulatedUpgrade(readFileSync(join(work, 'upgrade.txt'), 'utf8'));
  const info: RootImage = { tar: join(dir, 'root.tar'), built: new Date().toISOString(), sites, upgrades, seconds: (Date.now() - t0) / 1000 };
  writeFileSync(join(work, 'root.json'), `${JSON.stringify(info, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  // One root is kept: an older build (other inputs) only takes disk space.
  for (const old of readdirSync(dirname(dir))) if (old !== key) rmSync(join(dirname(dir), old), { recursive: true, force: true });
  log(`debian root: built in ${info.seconds.toFixed(0)} s, ${upgrades.length} upgrades on offer`);
  return info;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const info = debianRoot();
  process.stdout.write(`${info.tar}\n${info.upgrades.length} upgrades: ${info.upgrades.map((u) => `${u.name} ${u.from} -> ${u.to}`).join(', ')}\n`);
}
