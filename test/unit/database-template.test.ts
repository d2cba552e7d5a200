// A new data directory starts from the build's empty database (dist/empty-db), not by running every
// migration: it must be exactly what the migrations make, and never one made by other migrations.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Migration } from '../../src/main/db/migrate';
import { MIGRATIONS } from '../../src/main/db/migrations';
import { emptyDatabaseTemplate, openDatabase, writeEmptyDatabase } from '../../src/main/db/open';
import { DATABASE_FILE } from '../../src/main/paths';
import { tempDir } from '../support/tunebench';

/** Every table, index and trigger with its SQL, and the schema version: what "the same schema" means. */
function schemaOf(original: string): { version: number; objects: unknown[] } {
  const file = path.join(tempDir(), 'copy.db'); // a reader of a WAL database leaves files beside it
  fs.copyFileSync(original, file);
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      objects: db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all(),
    };
  } finally {
    db.close();
  }
}

const made: string[] = [];
afterEach(() => {
  for (const f of made.splice(0)) fs.rmSync(f, { force: true });
});

describe('the empty database a new data directory starts from', () => {
  it('is built by `npm run build` with exactly the schema the migrations make', () => {
    const template = emptyDatabaseTemplate();
    expect(fs.existsSync(template), `${template} (run npm run build)`).toBe(true);
    const migrated = path.join(tempDir(), 'migrated.db');
    const db = new Database(migrated);
    db.pragma('journal_mode = WAL');
    db.exec(MIGRATIONS.map((m) => m.up).join(';\n'));
    db.pragma(`user_version = ${MIGRATIONS[MIGRATIONS.length - 1]!.version}`);
    db.close();
    expect(fs.existsSync(`${template}-wal`)).toBe(false); // one self-contained file
    expect(schemaOf(template)).toEqual(schemaOf(migrated));
  });

  it('is what a new data directory is made from (a marker in the template shows through)', () => {
    const migrations: Migration[] = [{ version: 1, name: 'only', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY)' }];
    const template = emptyDatabaseTemplate(migrations);
    made.push(template);
    fs.mkdirSync(path.dirname(template), { recursive: true });
    writeEmptyDatabase(template, migrations);
    const marked = new Database(template);
    marked.exec('CREATE TABLE from_template (x)');
    marked.close();

    const dir = tempDir();
    const { db, schemaVersion } = openDatabase(dir, migrations);
    expect(schemaVersion).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'from_template'").all()).toHaveLength(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect((fs.statSync(path.join(dir, DATABASE_FILE)).mode & 0o777).toString(8)).toBe('600');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.new'))).toEqual([]); // no partial copy left behind
  });

  it('is never one made by other migrations: a changed migration names another template', () => {
    const a: Migration[] = [{ version: 1, name: 'only', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY)' }];
    const b: Migration[] = [{ version: 1, name: 'only', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)' }];
    expect(emptyDatabaseTemplate(a)).not.toBe(emptyDatabaseTemplate(b));
    expect(emptyDatabaseTemplate(MIGRATIONS)).not.toBe(emptyDatabaseTemplate(MIGRATIONS.slice(0, -1)));
    // Without a template for these migrations, the directory is made by migrating, as before.
    const { db, schemaVersion } = openDatabase(tempDir(), b);
    expect(schemaVersion).toBe(1);
    expect(db.prepare('SELECT name FROM pragma_table_info(?)').all('things')).toEqual([{ name: 'id' }, { name: 'name' }]);
    db.close();
  });

  it('never replaces an existing database', () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    first.db.exec("CREATE TABLE mine (x); INSERT INTO mine VALUES ('kept')");
    first.db.close();
    const again = openDatabase(dir);
    expect(again.db.prepare('SELECT x FROM mine').pluck().get()).toBe('kept');
    again.db.close();
  });
});
