// Which delegations reach a dataset, from the kernel's own form of them
// (ZFS_IOC_GET_FSACL as libzfs returns it; the fixture is what the guest's
// zfs.ko returned for the grants in the comment). The guest test
// (nothing-lost) checks the same against `zfs allow`'s text on the real kernel.
import { describe, expect, it } from 'vitest';
import { type Delegations, delegationsOn } from '../../src/zfs/delegations.js';

// zfs allow -u nobody userprop bench; zfs allow -l -g daemon destroy bench/a;
// zfs allow -d -e rename bench/a; zfs allow -s @inner release bench;
// zfs allow -s @myset snapshot,@inner bench; zfs allow -u daemon @myset bench/a;
// zfs allow -c destroy bench   (uid nobody 65534, daemon 1; gid daemon 1)
const acl: Delegations = {
  'bench/a': { 'Ud$1': { '@myset': true }, 'Ul$1': { '@myset': true }, 'ed$': { rename: true }, 'gl$1': { destroy: true } },
  bench: {
    'S-$@myset': { '@inner': true },
    's-$@myset': { snapshot: true },
    's-$@inner': { release: true },
    'ud$65534': { userprop: true },
    'c-$': { destroy: true },
    'ul$65534': { userprop: true },
  },
};

describe('delegationsOn', () => {
  it('counts grants made on the dataset for itself and on ancestors for descendants, sets expanded (nested too); not create-time ones', () => {
    const on = (ds: string) => delegationsOn(acl, ds).map((d) => `${d.who} ${d.id} ${[...d.permissions].sort().join(',')} ${d.from}`).sort();
    expect(on('bench/a/zcp')).toEqual(['everyone  rename bench/a', 'user 1 release,snapshot bench/a', 'user 65534 userprop bench']);
    // bench/a itself: its local grants (group destroy, the set), not its descendent-only one (everyone rename).
    expect(on('bench/a')).toEqual(['group 1 destroy bench/a', 'user 1 release,snapshot bench/a', 'user 65534 userprop bench']);
    // The pool: its local grant only.
    expect(on('bench')).toEqual(['user 65534 userprop bench']);
    // Another branch: only what the pool hands down.
    expect(on('bench/b')).toEqual(['user 65534 userprop bench']);
  });
  it('a dataset whose name only starts like another is not its descendant; a set that includes itself ends', () => {
    expect(delegationsOn(acl, 'bench/ab').map((d) => d.from)).toEqual(['bench']);
    const loop: Delegations = { p: { 's-$@a': { hold: true }, 'S-$@a': { '@a': true }, 'Ul$0': { '@a': true } } };
    expect(delegationsOn(loop, 'p')).toEqual([{ who: 'user', id: '0', permissions: ['hold'], from: 'p' }]);
  });
  it('no delegations: none', () => {
    expect(delegationsOn({}, 'p/zcp')).toEqual([]);
  });
});
