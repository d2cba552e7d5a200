// Opening an SQLite database. better-sqlite3's JavaScript is part of the CLI's startup snapshot (already
// evaluated when a command starts); only its native addon is loaded at run time, from where npm put it,
// which also skips the `bindings` package's search of a dozen paths (~1 ms on every start).
import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { lazy, nodeRequire, nodeResolve } from '../lazy';

/** The addon's file, or undefined where it is not where npm builds it (better-sqlite3 then finds it itself). */
const addonFile = lazy((): string | undefined => {
  if (process.versions.electron) return undefined; // Electron loads it from the packaged app's unpacked folder
  try {
    const file = path.join(path.dirname(nodeResolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
});

/** The loaded addon (require caches it: one per process, as better-sqlite3 itself keeps it). */
const addon = lazy((): object | undefined => {
  const file = addonFile();
  return file ? nodeRequire<object>(file) : undefined;
});

export function openSqlite(file: string, options: Sqlite.Options = {}): Sqlite.Database {
  const nativeBinding = addon();
  // better-sqlite3 takes the loaded addon object as nativeBinding (its types say only a path).
  return new Sqlite(file, nativeBinding ? { ...options, nativeBinding: nativeBinding as unknown as string } : options);
}
