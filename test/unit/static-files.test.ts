import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStaticFile } from '../../src/main/web/static-files';
import { tempDir } from '../support/tunebench';

describe('static files of browser mode', () => {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), '');
  fs.writeFileSync(path.join(path.dirname(root), 'secret.txt'), 'secret');

  it('serves files under the root, assets as immutable', () => {
    expect(resolveStaticFile(root, '/assets/app.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8', immutable: true });
    expect(resolveStaticFile(root, '/')).toMatchObject({ file: path.join(root, 'index.html') });
  });

  it('answers app routes with the single page and missing assets with nothing', () => {
    expect(resolveStaticFile(root, '/projects/123')?.file).toBe(path.join(root, 'index.html'));
    expect(resolveStaticFile(root, '/assets/missing.js')).toBeUndefined();
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/%2e%2e%2fsecret.txt', '/a%00b', '/%E0%A4%A'])('never leaves the root for %s', (p) => {
    const found = resolveStaticFile(root, p);
    expect(found === undefined || found.file.startsWith(root)).toBe(true);
    expect(found?.file.endsWith('secret.txt') ?? false).toBe(false);
  });
});
