// EngineError: a failure a user can meet, with a code and a sentence that says what to do.
import path from 'node:path';
import type { ErrorCode, ErrorInfo } from '../shared/errors';
import { DATABASE_FILE } from './paths';

export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'EngineError';
  }

  toInfo(): ErrorInfo {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/**
 * The database file this process opened last (see db/open.ts), so that damage found in the middle
 * of any call can name it: SQLite's errors do not say which file they come from. An engine opens
 * one database; a process that opens several in turn (tests) names the latest.
 */
let databaseFile: string | undefined;
export function noteDatabaseFile(file: string): void {
  databaseFile = file;
}

/** SQLITE_CORRUPT (and its extended codes, e.g. SQLITE_CORRUPT_VTAB) and SQLITE_NOTADB past a valid header. */
export function isCorruptionCode(code: unknown): boolean {
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** A damaged database ("database disk image is malformed", "vtable constructor failed: log_fts"): what to do about it. */
export function corruptDatabase(file: string | undefined, cause: unknown): EngineError {
  const db = file ?? DATABASE_FILE;
  const recovered = path.join(path.dirname(db), 'recovered.db');
  const said = cause instanceof Error ? cause.message : String(cause);
  return new EngineError(
    'DB_CORRUPT',
    `The database ${db} is damaged (SQLite: ${said}). Stop Tunebench, then restore the file from a backup, or save what it still holds with \`sqlite3 '${db}' .recover | sqlite3 '${recovered}'\` and put recovered.db in its place (deleting ${path.basename(db)}-wal and -shm beside it).`,
    { file: db },
  );
}

/**
 * Errors of the file system or SQLite that mean the disk is full. SQLite answers SQLITE_FULL when a
 * write (or a temporary file) meets ENOSPC, and SQLITE_IOERR_SHMSIZE when it cannot grow the WAL's
 * shared-memory file, which is how even a read fails on a full disk.
 */
function isDiskFull(code: unknown): boolean {
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC' || code === 'EDQUOT';
}

/** Maps SQLite's own errors to ones a user can act on; anything else becomes INTERNAL. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof EngineError) return err.toInfo();
  const code = (err as { code?: unknown })?.code;
  if (isDiskFull(code)) {
    // SQLite's errors are about the data directory; the file system's name the file when it knows it.
    const file = (err as { path?: unknown }).path;
    const what =
      typeof file === 'string'
        ? `The disk is full: ${file} could not be written.`
        : String(code).startsWith('SQLITE_')
          ? 'The disk holding the data directory is full.'
          : 'A disk is full (no space left to write to).';
    return { code: 'DISK_FULL', message: `${what} Free some space and try again; what this call was doing was not saved.` };
  }
  if (isCorruptionCode(code)) return corruptDatabase(databaseFile, err).toInfo();
  // Extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DBMOVED, ...) mean what their base code means.
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) return { code: 'DB_BUSY', message: 'The database is busy with another Tunebench process. Try again in a moment.' };
  if (typeof code === 'string' && /^SQLITE_READONLY(_|$)/.test(code)) {
    return {
      code: 'DATA_DIR_UNUSABLE',
      message: `Cannot write the database${databaseFile ? ` ${databaseFile}` : ''} (SQLite: ${err instanceof Error ? err.message : String(err)}). Make the data directory and its files writable by you, or choose another with --data-dir or TUNEBENCH_HOME.`,
    };
  }
  // The data directory or its database is not a place we can use: a folder where the file should be,
  // no permission, a read-only file system, a file SQLite cannot open.
  if (typeof code === 'string' && (/^(EISDIR|ENOTDIR|EACCES|EPERM|EROFS)$/.test(code) || /^SQLITE_(CANTOPEN|PERM|AUTH)(_|$)/.test(code))) {
    const file = (err as { path?: unknown }).path;
    return {
      code: 'DATA_DIR_UNUSABLE',
      message: `Cannot use ${typeof file === 'string' ? file : (databaseFile ?? 'the data directory')} (${err instanceof Error ? err.message : String(err)}). Make the data directory a folder you can write, holding tunebench.db as a file, or choose another with --data-dir or TUNEBENCH_HOME.`,
    };
  }
  const text = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected error: ${text}. This is a bug; please report it with the steps that led here.` };
}
