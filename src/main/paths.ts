// Where the data directory lives: --data-dir, then TUNEBENCH_HOME, then the OS's per-user app data dir.
import os from 'node:os';
import path from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Tunebench');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Tunebench');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'tunebench');
}

export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit || env.TUNEBENCH_HOME || defaultDataDir(env);
  return path.resolve(chosen);
}

export const DATABASE_FILE = 'tunebench.db';
