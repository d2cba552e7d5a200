// The built `tunebench` command, run as a user runs it, on temp data directories.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli, serve, tempDir } from '../support/tunebench';

describe('tunebench (the built command)', () => {
  it('creates, lists, shows, renames, describes, archives and unarchives a project', () => {
    const dir = tempDir();
    const created = cli(['project', 'create', 'Llama SFT', '--base-model', 'meta-llama/Llama-3.1-8B', '--description', 'first', '--json'], { dataDir: dir });
    expect(created.code).toBe(0);
    const p = created.json();
    expect(p).toMatchObject({ name: 'Llama SFT', baseModel: 'meta-llama/Llama-3.1-8B', description: 'first', archived: false });

    expect(cli(['project', 'list', '--json'], { dataDir: dir }).json()).toEqual([p]);
    expect(cli(['project', 'show', 'llama sft', '--json'], { dataDir: dir }).json()).toEqual(p);
    expect(cli(['project', 'rename', p.id, 'Llama LoRA', '--json'], { dataDir: dir }).json().name).toBe('Llama LoRA');
    expect(cli(['project', 'describe', 'Llama LoRA', '--description', 'second', '--json'], { dataDir: dir }).json().description).toBe('second');
    expect(cli(['project', 'archive', p.id, '--json'], { dataDir: dir }).json().archived).toBe(true);
    expect(cli(['project', 'list', '--json'], { dataDir: dir }).json()).toEqual([]);
    expect(cli(['project', 'list', '--all', '--json'], { dataDir: dir }).json()).toHaveLength(1);
    expect(cli(['project', 'unarchive', p.id, '--json'], { dataDir: dir }).json().archived).toBe(false);
  });

  it('uses TUNEBENCH_HOME when --data-dir is not given', () => {
    const dir = tempDir();
    expect(cli(['project', 'create', 'via-env'], { env: { TUNEBENCH_HOME: dir } }).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'tunebench.db'))).toBe(true);
  });

  it('exits 2 with a JSON error for invalid input, and changes nothing', () => {
    const dir = tempDir();
    cli(['project', 'create', 'taken'], { dataDir: dir });
    for (const [args, code] of [
      [['project', 'create', '', '--json'], 'VALIDATION_FAILED'],
      [['project', 'create', 'x'.repeat(101), '--json'], 'VALIDATION_FAILED'],
      [['project', 'create', 'TAKEN', '--json'], 'PROJECT_NAME_TAKEN'],
      [['project', 'show', 'nobody', '--json'], 'PROJECT_NOT_FOUND'],
      [['project', 'nonsense', '--json'], 'BAD_USAGE'],
      [['host', 'add', 'gpu1', '--json'], 'BAD_USAGE'], // no --hostname: named, with what to give
      [['host', 'trust', 'gpu1', '--json'], 'BAD_USAGE'],
    ] as const) {
      const r = cli([...args], { dataDir: dir });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.errorJson().error.code).toBe(code);
      expect(r.errorJson().error.message.length).toBeGreaterThan(10);
    }
    expect(
      cli(['project', 'list', '--all', '--json'], { dataDir: dir })
        .json()
        .map((p: { name: string }) => p.name),
    ).toEqual(['taken']);
    expect(cli(['host', 'add', 'gpu1', '--json'], { dataDir: dir }).errorJson().error.message).toBe("--hostname is required: the host's address or DNS name, e.g. --hostname 10.0.0.5.");
  });

  it('exits 1 with DB_NOT_SQLITE on a data directory whose database is not SQLite', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'tunebench.db'), 'not a database');
    const r = cli(['project', 'list', '--json'], { dataDir: dir });
    expect(r.code).toBe(1);
    expect(r.errorJson().error.code).toBe('DB_NOT_SQLITE');
    expect(fs.readFileSync(path.join(dir, 'tunebench.db'), 'utf8')).toBe('not a database');
  });

  it('exits 1 with DB_TOO_NEW on a database from a newer version', () => {
    const dir = tempDir();
    cli(['project', 'create', 'precious'], { dataDir: dir });
    const db = new Database(path.join(dir, 'tunebench.db'));
    db.pragma('user_version = 999');
    db.close();
    const r = cli(['project', 'list'], { dataDir: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[DB_TOO_NEW\]: .*newer Tunebench/);
    const check = new Database(path.join(dir, 'tunebench.db'), { readonly: true });
    expect(check.prepare('SELECT name FROM projects').all()).toEqual([{ name: 'precious' }]);
    check.close();
  });

  it('run wait --timeout says with a code that the run goes on, as JSON with --json', () => {
    const dir = tempDir();
    cli(['project', 'create', 'p'], { dataDir: dir });
    const run = cli(['run', 'launch', '--project', 'p', '--host', 'local', '--recipe', 'custom', '--param', 'command=sleep 30', '--json'], { dataDir: dir }).json();
    const waited = cli(['run', 'wait', run.id, '--timeout', '1', '--json'], { dataDir: dir });
    expect(waited.code).toBe(1);
    expect(waited.errorJson().error).toMatchObject({ code: 'RUN_WAIT_TIMEOUT', message: expect.stringMatching(/keeps running.*run logs/) });
    expect(cli(['run', 'cancel', run.id], { dataDir: dir }).code).toBe(0);
  });

  it('serve prints one line with a tokened 127.0.0.1 URL and stops cleanly on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const served = await serve(tempDir());
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
      expect(await served.stop(signal)).toBe(0);
    }
  });

  it('serve refuses a port that is taken, with a clear error', async () => {
    const first = await serve(tempDir());
    const r = cli(['serve', '--port', new URL(first.url).port, '--json'], { dataDir: tempDir() });
    expect(r.code).toBe(2);
    expect(r.errorJson().error.message).toMatch(/is in use/);
    await first.stop();
  });
});
