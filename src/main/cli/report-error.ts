// How the CLI says what went wrong: `error [CODE]: sentence` for people, {"error": {...}} with --json.
import { INPUT_ERROR_CODES, type ErrorInfo } from '../../shared/errors';

export function formatError(info: ErrorInfo, json: boolean): string {
  if (json) return JSON.stringify({ error: { code: info.code, message: info.message, ...(info.details ? { details: info.details } : {}) } }) + '\n';
  return `error [${info.code}]: ${info.message}\n`;
}

/** Exit code for an error: 2 for bad usage or invalid input, 1 for anything else. */
export function exitCodeFor(info: ErrorInfo): number {
  return INPUT_ERROR_CODES.has(info.code) ? 2 : 1;
}
