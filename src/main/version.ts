// The app's version, read once from package.json (works from src/ under vitest and from dist/ when built).
import fs from 'node:fs';
import path from 'node:path';

function findPackageJson(start: string): string | undefined {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}

export const APP_VERSION: string = (() => {
  const file = findPackageJson(__dirname);
  if (!file) return '0.0.0';
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
})();

/** The repository (or installed package) root: where resources/ and dist/ are. */
export const PACKAGE_ROOT: string = (() => {
  const file = findPackageJson(__dirname);
  return file ? path.dirname(file) : process.cwd();
})();
