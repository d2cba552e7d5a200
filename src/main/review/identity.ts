// Who uses this data directory, in the words of an allowed_signers file (alice@example.com): recorded
// as the proposer of candidates, so a project can forbid approving one's own candidate.
import os from 'node:os';
import type Database from 'better-sqlite3';
import { EngineError } from '../errors';

const PRINCIPAL = /^[^\s,"'!*?\u0000-\u001f]{1,200}$/;

export class Identity {
  constructor(private readonly db: Database.Database) {}

  get(): string {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get('identity');
    if (row) return row.value;
    let user = 'user';
    try {
      user = os.userInfo().username;
    } catch {
      // no passwd entry (a container): the default stays "user"
    }
    return `${user}@${os.hostname()}`;
  }

  set(principal: string): string {
    const p = principal.trim();
    if (!PRINCIPAL.test(p))
      throw new EngineError(
        'VALIDATION_FAILED',
        `"${p.slice(0, 60)}" is not a principal: use the name your key has in allowed_signers, such as alice@example.com (no spaces, commas, quotes or wildcards).`,
      );
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run('identity', p);
    return p;
  }
}
