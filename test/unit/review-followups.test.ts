// Variants a review found of this session's hardening: hard links and oversized files in a code
// directory, a folder where the database should be, host names from an SSH config import, a global
// option named like an Object member, and test measures with such names.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { EngineError, toErrorInfo } from '../../src/main/errors';
import { MAX_CODE_BYTES, snapshotCode } from '../../src/main/runs/code-snapshot';
import { recordFromLine } from '../../src/main/testing/scoring';
import { cli, tempDir } from '../support/tunebench';

describe('code directories', () => {
  it('never uploads a hard link (its other name may be a key outside the directory)', () => {
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'id_rsa'), 'SECRET KEY');
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
    fs.linkSync(path.join(outside, 'id_rsa'), path.join(dir, 'creds'));
    const snap = snapshotCode(dir);
    expect(snap.files.map((f) => f.path)).toEqual(['train.py']);
    expect([...snap.contents.values()].some((b) => String(b).includes('SECRET'))).toBe(false);
  });

  it('refuses a file over the budget without reading it (a 3 GiB file is past what Node can read at once)', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'train.py'), 'print(1)\n');
    const big = path.join(dir, 'model.bin');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 3 * 2 ** 30); // sparse: no disk used
    let err: unknown;
    try {
      snapshotCode(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('VALIDATION_FAILED');
    expect((err as EngineError).message).toContain(`over the ${MAX_CODE_BYTES / 2 ** 20} MiB`);
  });
});

describe('errors a user can act on', () => {
  it('a folder where the database file should be is DATA_DIR_UNUSABLE, not INTERNAL', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'tunebench.db'));
    let err: unknown;
    try {
      openEngine({ dataDir: dir }).close();
    } catch (e) {
      err = e;
    }
    expect(toErrorInfo(err).code).toBe('DATA_DIR_UNUSABLE');
    const r = cli(['project', 'list', '--json'], { dataDir: dir });
    expect(r.code).toBe(1);
    expect(r.errorJson().error.code).toBe('DATA_DIR_UNUSABLE');
  });

  it('--constructor and friends are unknown options, also before the command', () => {
    const r = cli(['--constructor', 'project', 'list', '--json'], { dataDir: tempDir() });
    expect(r.code).toBe(2);
    expect(r.errorJson().error.message).toMatch(/Unknown (option|command) `?--constructor/);
  });

  it('an SSH config alias that could be read as an id is not imported as a host name', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'config');
    fs.writeFileSync(config, 'Host 01ARZ3NDEKTSV4RRFFQ69G5FAV\n  HostName 10.0.0.9\nHost gpu1\n  HostName 10.0.0.5\n');
    const e = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
    try {
      const r = await e.call('hosts.import', { configFile: config });
      expect(r.added.map((h) => h.name)).toEqual(['gpu1']);
      expect(r.skipped[0]?.reason).toMatch(/look like an id/);
    } finally {
      e.close();
    }
  });
});

describe('test measures', () => {
  it('keeps measures named like Object members', () => {
    const record = recordFromLine(
      { id: 'c1', kind: 'exact', prompt: 'p', expect: ['x'], ignoreCase: false } as never,
      { model: 'candidate', case: 'c1', output: 'x', measures: JSON.parse('{"constructor": 1, "toString": 2, "__proto__": 3, "tokens_per_s": 4}') } as never,
    );
    expect(Object.keys(record.measures).sort()).toEqual(['__proto__', 'constructor', 'toString', 'tokens_per_s']);
  });
});
