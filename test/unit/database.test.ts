import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { latestVersion } from '../../src/main/db/migrate';
import { MIGRATIONS } from '../../src/main/db/migrations';
import { openDatabase } from '../../src/main/db/open';
import { EngineError } from '../../src/main/errors';
import { DATABASE_FILE } from '../../src/main/paths';
import { tempDir } from '../support/tunebench';

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function expectEngineError(fn: () => unknown, code: string): EngineError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe(code);
    return err as EngineError;
  }
  throw new Error(`expected ${code}`);
}

describe('the database', () => {
  it('is created with WAL, foreign keys, a busy timeout and the latest schema', () => {
    const dir = tempDir();
    const { db, schemaVersion } = openDatabase(dir);
    expect(schemaVersion).toBe(latestVersion(MIGRATIONS));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect((fs.statSync(path.join(dir, DATABASE_FILE)).mode & 0o777).toString(8)).toBe('600');
    db.close();
  });

  it('migrates once: opening again applies nothing and keeps the data', async () => {
    const dir = tempDir();
    const a = openEngine({ dataDir: dir });
    await a.call('projects.create', { name: 'kept' });
    a.close();
    const b = openEngine({ dataDir: dir });
    expect((await b.call('projects.list', {})).map((p) => p.name)).toEqual(['kept']);
    b.close();
  });

  it('refuses a database from a newer Tunebench with DB_TOO_NEW and leaves it byte-for-byte untouched', () => {
    const dir = tempDir();
    openDatabase(dir).db.close();
    const file = path.join(dir, DATABASE_FILE);
    const raw = new Database(file);
    raw.pragma('journal_mode = DELETE');
    raw.pragma(`user_version = ${latestVersion(MIGRATIONS) + 5}`);
    raw.close();
    const before = digest(file);
    const err = expectEngineError(() => openDatabase(dir), 'DB_TOO_NEW');
    expect(err.message).toMatch(/newer Tunebench.*Update Tunebench/);
    expect(digest(file)).toBe(before);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('refuses a file that is not SQLite with DB_NOT_SQLITE and leaves it untouched', () => {
    const dir = tempDir();
    const file = path.join(dir, DATABASE_FILE);
    fs.writeFileSync(file, 'these are my notes, not a database\n'.repeat(100));
    const before = digest(file);
    const err = expectEngineError(() => openDatabase(dir), 'DB_NOT_SQLITE');
    expect(err.message).toMatch(/Move it aside/);
    expect(digest(file)).toBe(before);
  });

  it('refuses a damaged SQLite file without changing it', () => {
    const dir = tempDir();
    openDatabase(dir).db.close();
    const file = path.join(dir, DATABASE_FILE);
    const bytes = fs.readFileSync(file);
    bytes.fill(0xab, 100, bytes.length); // keep the header, wreck the pages
    fs.writeFileSync(file, bytes);
    const before = digest(file);
    // A valid header over wrecked pages is a damaged database, not some other file.
    const err = expectEngineError(() => openDatabase(dir), 'DB_CORRUPT');
    expect(err.code).toBe('DB_CORRUPT');
    expect(digest(file)).toBe(before);
  });

  it('says clearly when the data directory cannot be used', () => {
    const parent = tempDir();
    const notADir = path.join(parent, 'file');
    fs.writeFileSync(notADir, 'x');
    expectEngineError(() => openDatabase(notADir), 'DATA_DIR_UNUSABLE');
  });

  it('lets two processes share one data directory (the app and the CLI)', async () => {
    const dir = tempDir();
    const app = openEngine({ dataDir: dir });
    const cli = openEngine({ dataDir: dir });
    await cli.call('projects.create', { name: 'from-cli' });
    expect((await app.call('projects.list', {})).map((p) => p.name)).toEqual(['from-cli']);
    cli.close();
    app.close();
  });

  it('tells the app when another process changed the data', async () => {
    const dir = tempDir();
    const app = openEngine({ dataDir: dir, externalChangePollMs: 20 });
    const seen: (string | null)[] = [];
    // Waits for the event itself, not for a guess at how long the poll takes; fails after 5 s.
    const told = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no projects.changed event within 5 s')), 5000);
      app.events.on('projects.changed', (p) => {
        seen.push(p.projectId);
        clearTimeout(timer);
        resolve();
      });
    });
    const other = openEngine({ dataDir: dir });
    await other.call('projects.create', { name: 'elsewhere' });
    other.close();
    await told;
    expect(seen).toEqual([null]); // another process's change: the app cannot tell which project
    expect((await app.call('projects.list', {})).map((p) => p.name)).toEqual(['elsewhere']);
    app.close();
  });
});
