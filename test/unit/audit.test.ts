// The system log's lines (src/cli/audit.ts): what each changing command says,
// with its TID; nothing for dry runs, read-only commands and usage errors.
import { describe, expect, it } from 'vitest';
import { outcomeLine } from '../../src/cli/audit.js';

describe('system log lines', () => {
  it('say what changed, with the TID', () => {
    expect(outcomeLine('create', [], { checkpoint: { id: 'zcp-7', tid: 7, title: 'before\nthe kernel' } })).toBe('checkpoint zcp-7 (TID 7) created: before\nthe kernel');
    expect(outcomeLine('rollback', ['zcp-3'], { done: true, dryRun: false, undid: [5, 4], plan: { target: { id: 'zcp-3', tid: 3 }, datasets: ['rpool/ROOT/debian'], consumes: ['zcp-4', 'zcp-5'] } }))
      .toBe('rolled back to zcp-3 (TID 3): rpool/ROOT/debian; undid TIDs 5, 4; destroyed zcp-4, zcp-5');
    expect(outcomeLine('apt', ['install', 'jq'], { transaction: { tid: 9, state: 'committed', title: 'apt-get install jq', checkpoint: 'zcp-9' }, rolledBack: false }))
      .toBe('transaction 9 committed: apt-get install jq (checkpoint zcp-9)');
    expect(outcomeLine('apt', ['-s', 'upgrade'], { transaction: { tid: 10, state: 'failed', title: 'apt-get upgrade', checkpoint: 'zcp-10' }, bootEnvironment: { name: 'upgrade-10' }, destroyed: true }))
      .toBe('transaction 10 failed: apt-get upgrade (checkpoint zcp-10); in boot environment upgrade-10 (destroyed again)');
    expect(outcomeLine('hook', ['pre', 'apt'], { checkpoint: { id: 'zcp-11', tid: 11, title: 'apt-get install nginx' } })).toBe('transaction 11 begun by the apt hook: apt-get install nginx (checkpoint zcp-11)');
    expect(outcomeLine('prune', [], { pruned: [{ id: 'zcp-1', reason: 'more than 10 checkpoints' }], dryRun: false })).toBe('pruned zcp-1 (more than 10 checkpoints)');
  });

  it('say nothing for a dry run, an unconfirmed rollback, an empty prune or a read-only command', () => {
    expect(outcomeLine('create', [], { dryRun: true, datasets: ['a'] })).toBeUndefined();
    expect(outcomeLine('rollback', ['zcp-3'], { done: false, dryRun: false, undid: [], plan: {} })).toBeUndefined();
    expect(outcomeLine('prune', [], { pruned: [], dryRun: false })).toBeUndefined();
    expect(outcomeLine('list', [], { checkpoints: [] })).toBeUndefined();
    expect(outcomeLine('destroy', ['zcp-2'], undefined)).toBeUndefined();
  });
});
