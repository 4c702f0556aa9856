/**
 * The dnf hook: a dnf plugin (Python, as snapper's dnf plugin is) whose
 * pre_transaction and transaction hooks make every dnf transaction a zcp
 * transaction. Like the APT hook it never stops dnf.
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../checkpoint/errors.js';
import type { HookFile } from './files.js';

/** dnf's plugin directory under a root: Debian's dist-packages or Fedora's site-packages. */
export function dnfPluginDir(root: string): string {
  const debian = join(root, 'usr/lib/python3/dist-packages/dnf-plugins');
  if (existsSync(debian)) return debian;
  for (const lib of ['usr/lib', 'usr/lib64']) {
    let entries: string[] = [];
    try {
      entries = readdirSync(join(root, lib));
    } catch {
      continue;
    }
    for (const py of entries.filter((e) => /^python3\.\d+$/.test(e)).sort().reverse()) {
      const dir = join(root, lib, py, 'site-packages/dnf-plugins');
      if (existsSync(dir)) return dir;
    }
  }
  throw new CheckpointError('NO_PACKAGE_MANAGER', `no dnf plugin directory under ${root} (is dnf installed?)`, root);
}

/** The plugin module and its config; `zcp` is the argv that reaches this system's zcp. */
export function dnfHook(root: string, zcp: readonly string[]): HookFile[] {
  const argv = JSON.stringify(zcp); // a JSON list of strings is a Python list literal
  const plugin = `# Written by \`zcp hook install dnf\`; \`zcp hook remove dnf\` takes it away.
# Every dnf transaction becomes a zcp transaction: a checkpoint before, its
# package changes after. It never stops dnf: zcp warns and dnf goes on.
import os
import subprocess
import sys

import dnf

ZCP = ${argv}


def _zcp(*args):
    if os.environ.get('ZCP_TRANSACTION'):
        return  # zcp itself runs this dnf: it made the transaction
    try:
        subprocess.run(ZCP + ['hook'] + list(args), check=False)
    except Exception as e:  # never let zcp break dnf
        sys.stderr.write('zcp: warning: %s\\n' % e)


class Zcp(dnf.Plugin):
    name = 'zcp'

    def pre_transaction(self):
        _zcp('pre', 'dnf', '-m', ' '.join(['dnf'] + sys.argv[1:]))

    def transaction(self):
        _zcp('post', 'dnf')
`;
  return [
    { path: join(dnfPluginDir(root), 'zcp.py'), text: plugin },
    { path: join(root, 'etc/dnf/plugins/zcp.conf'), text: '# Written by `zcp hook install dnf`.\n[main]\nenabled=1\n' },
  ];
}
