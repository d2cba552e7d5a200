// Serves the built renderer: files under one root only, index.html for app routes.
import fs from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  file: string;
  contentType: string;
  immutable: boolean;
}

/** Resolves a URL path to a file inside root, or undefined. Never leaves root, whatever the path says. */
export function resolveStaticFile(root: string, urlPath: string): StaticFile | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const absRoot = path.resolve(root);
  const candidate = path.resolve(absRoot, '.' + path.posix.normalize('/' + decoded));
  if (candidate !== absRoot && !candidate.startsWith(absRoot + path.sep)) return undefined;
  let file = candidate;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat || stat.isDirectory()) {
    // App routes (no extension) get the single page; a missing asset is a real 404.
    if (path.extname(decoded) !== '') return undefined;
    file = path.join(absRoot, 'index.html');
    if (!fs.existsSync(file)) return undefined;
  }
  const ext = path.extname(file);
  return {
    file,
    contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
    immutable: file.includes(`${path.sep}assets${path.sep}`),
  };
}
