// Opens the data directory's database: checks it is SQLite, sets pragmas, migrates.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { corruptDatabase, EngineError, isCorruptionCode, noteDatabaseFile, toErrorInfo } from '../errors';
import { DATABASE_FILE } from '../paths';
import { PACKAGE_ROOT } from '../version';
import { latestVersion, migrate, type Migration } from './migrate';
import { MIGRATIONS } from './migrations';
import { openSqlite } from './sqlite';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenedDatabase {
  db: Database.Database;
  path: string;
  schemaVersion: number;
}

function ensureDataDir(dataDir: string): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch (err) {
    throw new EngineError('DATA_DIR_UNUSABLE', `Cannot use ${dataDir} as the data directory (${(err as Error).message}). Choose a writable directory with --data-dir or TUNEBENCH_HOME.`);
  }
  if (!fs.statSync(dataDir).isDirectory()) {
    throw new EngineError('DATA_DIR_UNUSABLE', `${dataDir} is not a directory. Choose a directory with --data-dir or TUNEBENCH_HOME.`);
  }
}

/** Reads the first 16 bytes ourselves: SQLite would happily open a text file and fail later, mid-call. */
function checkIsSqlite(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new EngineError('DB_OPEN_FAILED', `Cannot read ${file}: ${(err as Error).message}.`);
  }
  try {
    const header = Buffer.alloc(16);
    const n = fs.readSync(fd, header, 0, 16, 0);
    if (n === 0) return; // an empty file is a new database
    if (n < 16 || !header.equals(SQLITE_HEADER)) {
      throw new EngineError('DB_NOT_SQLITE', `${file} is not a Tunebench database (not an SQLite file). Move it aside or point --data-dir at another directory; it was left untouched.`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A database from a newer Tunebench must stay untouched: look at its version through a read-only handle first. */
function refuseFutureSchema(file: string, migrations: readonly Migration[]): void {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) return;
  let probe: Database.Database | undefined;
  try {
    probe = openSqlite(file, { readonly: true, fileMustExist: true });
    const version = probe.pragma('user_version', { simple: true }) as number;
    if (version > latestVersion(migrations)) migrate(probe, migrations, file); // throws DB_TOO_NEW, writes nothing
  } catch (err) {
    throw openError(file, err);
  } finally {
    probe?.close();
  }
}

/**
 * The empty database the build writes for these migrations (dist/empty-db/KEY.db), named by a digest of
 * every migration: a template from other migrations is never found, so it cannot be the wrong schema.
 */
export function emptyDatabaseTemplate(migrations: readonly Migration[] = MIGRATIONS, root = PACKAGE_ROOT): string {
  const digest = createHash('sha256');
  for (const m of migrations) digest.update(`${m.version}\0${m.up}\0`);
  return path.join(root, 'dist', 'empty-db', `${digest.digest('hex').slice(0, 16)}.db`);
}

/** Writes a migrated, empty database (in WAL mode, checkpointed) to `file`: what the build ships as the template. */
export function writeEmptyDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): void {
  fs.rmSync(file, { force: true });
  const db = openSqlite(file);
  try {
    db.pragma('journal_mode = WAL');
    migrate(db, migrations, file);
  } finally {
    db.close(); // checkpoints and removes the -wal file: the template is one self-contained file
  }
}

/**
 * A new data directory starts from a copy of the build's empty database: creating the schema and
 * switching to WAL costs ~8 ms of every first command (most of a new directory's start), a copy ~1 ms.
 * The copy is written beside and linked into place, so a process starting at the same moment sees
 * either no database or a whole one. Any failure leaves the usual path (create and migrate) to run.
 */
function startFromTemplate(file: string, migrations: readonly Migration[]): boolean {
  if (fs.existsSync(file)) return false;
  const template = emptyDatabaseTemplate(migrations);
  const partial = `${file}.${process.pid}.new`;
  try {
    fs.copyFileSync(template, partial);
    fs.chmodSync(partial, 0o600);
    fs.linkSync(partial, file); // EEXIST when another process made it first: theirs is kept
    return true;
  } catch {
    return false; // no template (a checkout not built), or another process won: the usual path runs
  } finally {
    fs.rmSync(partial, { force: true });
  }
}

export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): OpenedDatabase {
  ensureDataDir(dataDir);
  const file = path.join(dataDir, DATABASE_FILE);
  // A copy of our own template is of this schema: no need to look for a future one.
  if (!startFromTemplate(file, migrations)) {
    checkIsSqlite(file);
    refuseFutureSchema(file, migrations);
  }
  let db: Database.Database;
  try {
    db = openSqlite(file);
  } catch (err) {
    throw new EngineError('DB_OPEN_FAILED', `Cannot open the database ${file}: ${(err as Error).message}.`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // A page cache of up to 64 MiB (SQLite's default is 2 MiB; filled only as pages are read, so a short
    // CLI command uses little of it). Zooming and panning Compare's 50 runs reads windows that overlap
    // ones read a moment before; with 2 MiB their shared pages had been evicted by the other runs'
    // reads: such windows took 50 ms (median of 12) against 36 ms with 64 MiB, and 27-33 ms read again.
    db.pragma('cache_size = -65536');
    migrate(db, migrations, file);
    fs.chmodSync(file, 0o600);
    noteDatabaseFile(file);
    return { db, path: file, schemaVersion: db.pragma('user_version', { simple: true }) as number };
  } catch (err) {
    db.close();
    throw openError(file, err);
  }
}

/**
 * What a failure while opening means. The header was checked already (checkIsSqlite), so a file
 * SQLite finds malformed is a damaged Tunebench database, not some other file: DB_CORRUPT, which
 * says how to recover it. It is left untouched either way.
 */
function openError(file: string, err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const code = (err as { code?: string }).code;
  if (isCorruptionCode(code)) return corruptDatabase(file, err);
  const info = toErrorInfo(err);
  if (info.code === 'DISK_FULL' || info.code === 'DB_BUSY') return new EngineError(info.code, info.message);
  return new EngineError('DB_OPEN_FAILED', `Cannot open the database ${file}: ${(err as Error).message}.`);
}
