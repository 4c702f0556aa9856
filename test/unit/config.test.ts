// /etc/zcp/config.json decides which datasets zcp rolls back: refused when
// anyone but root could have written it (as sudo refuses a writable sudoers).
import { chmodSync, chownSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, CheckpointError, configRetention, readConfig } from '../../src/checkpoint/index.js';

function configDir(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zcp-config-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ datasets: ['rpool/ROOT/debian', 'rpool/ROOT/debian/var'], root: '/' }), { mode: 0o644 });
  chmodSync(file, 0o644);
  return { dir, file };
}

async function refusal(p: Promise<unknown>): Promise<CheckpointError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CheckpointError);
  return e as CheckpointError;
}

describe('config file', () => {
  it('runs as root (the ownership checks need it)', () => {
    expect(process.getuid?.()).toBe(0);
  });

  it('reads a root-owned, root-only-writable config', async () => {
    const { file } = configDir();
    expect(await readConfig(file)).toEqual({ datasets: ['rpool/ROOT/debian', 'rpool/ROOT/debian/var'], root: '/' });
    expect(await readConfig(join(file, '..', 'missing.json'))).toEqual({});
  });

  it('refuses a config others may write: group/world-writable, not root\'s, or in such a directory', async () => {
    let c = configDir();
    chmodSync(c.file, 0o664);
    expect(await refusal(readConfig(c.file))).toMatchObject({ code: 'CONFIG_INSECURE', message: expect.stringMatching(/mode 664.*sudo/) });
    c = configDir();
    chmodSync(c.file, 0o646);
    expect((await refusal(readConfig(c.file))).code).toBe('CONFIG_INSECURE');
    c = configDir();
    chownSync(c.file, 65534, 65534);
    expect(await refusal(readConfig(c.file))).toMatchObject({ code: 'CONFIG_INSECURE', message: expect.stringContaining('uid 65534') });
    c = configDir();
    chmodSync(c.dir, 0o777);
    expect((await refusal(readConfig(c.file))).code).toBe('CONFIG_INSECURE');
    // A link to a user's file: the file read is the file checked (the descriptor, not the path again).
    c = configDir();
    const user = join(c.dir, 'user.json');
    writeFileSync(user, '{"datasets": ["tank/victim"]}');
    chownSync(user, 65534, 65534);
    const link = join(c.dir, 'linked.json');
    symlinkSync(user, link);
    expect((await refusal(readConfig(link))).code).toBe('CONFIG_INSECURE');
  });

  it('rejects a config that is not what zcp expects, saying what', async () => {
    const c = configDir();
    writeFileSync(c.file, '{"datasets": "rpool/ROOT/debian"}');
    expect(await refusal(readConfig(c.file))).toMatchObject({ code: 'BAD_CONFIG', subject: c.file, message: expect.stringContaining('"datasets" must be a list') });
    writeFileSync(c.file, '{not json');
    expect(await refusal(readConfig(c.file))).toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining('not valid JSON') });
    writeFileSync(c.file, '["rpool/ROOT/debian"]');
    expect(await refusal(readConfig(c.file))).toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining('must be a JSON object') });
  });

  it('refuses an unknown key, naming it and the file (a typo must not silently mean the default)', async () => {
    const c = configDir();
    writeFileSync(c.file, '{"datasets": ["rpool/ROOT/debian"], "extraDataset": ["bpool/BOOT/debian"], "kepp": 3}');
    const e = await refusal(readConfig(c.file));
    expect(e).toMatchObject({ code: 'BAD_CONFIG', subject: c.file });
    expect(e.message).toBe(`${c.file}: unknown keys "extraDataset", "kepp" (the keys are ${CONFIG_KEYS.join(', ')})`);
  });

  it('takes the retention keys zcp prune and its timer use, in the forms the options take', async () => {
    const c = configDir();
    writeFileSync(c.file, '{"keep": 5, "olderThan": "2w", "minFree": "10G"}');
    const config = await readConfig(c.file);
    expect(configRetention(config)).toEqual({ keep: 5, maxAgeDays: 14, minFreeBytes: 10 * 2 ** 30 });
    writeFileSync(c.file, '{"olderThan": 30, "minFree": 1048576}');
    expect(configRetention(await readConfig(c.file))).toEqual({ maxAgeDays: 30, minFreeBytes: 1048576 });
    expect(configRetention({})).toEqual({});
    for (const [bad, key] of [['{"keep": -1}', 'keep'], ['{"keep": 2.5}', 'keep'], ['{"keep": "5"}', 'keep'], ['{"olderThan": "a month"}', 'olderThan'], ['{"olderThan": -3}', 'olderThan'], ['{"minFree": "lots"}', 'minFree'], ['{"minFree": true}', 'minFree']] as const) {
      writeFileSync(c.file, bad);
      expect(await refusal(readConfig(c.file)), bad).toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining(`"${key}" must be`) });
    }
  });
});
