// EngineError: a failure a user can meet, with a code and a sentence that says what to do.
import type { ErrorCode, ErrorInfo } from '../shared/errors';

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
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Maps SQLite's own errors to ones a user can act on; anything else becomes INTERNAL. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof EngineError) return err.toInfo();
  const code = (err as { code?: unknown })?.code;
  if (code === 'SQLITE_FULL')
    return { code: 'DISK_FULL', message: 'The disk holding the data directory is full. Free some space and try again; nothing was saved.' };
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
    return { code: 'DB_BUSY', message: 'The database is busy with another Tunebench process. Try again in a moment.' };
  const text = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `Unexpected error: ${text}. This is a bug; please report it with the steps that led here.` };
}
