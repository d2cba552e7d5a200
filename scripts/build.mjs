// Builds what the CLI and browser mode run: the engine (tsc -> dist/node), the renderer (vite -> dist/renderer)
// and the CLI's startup snapshot (dist/snapshot).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSnapshot } from './build-snapshot.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

/** The empty, migrated database a new data directory starts from (src/main/db/open.ts, startFromTemplate). */
async function buildEmptyDatabase() {
  const { createRequire } = await import('node:module');
  const fs = await import('node:fs');
  const { emptyDatabaseTemplate, writeEmptyDatabase } = createRequire(import.meta.url)(path.join(root, 'dist', 'node', 'main', 'db', 'open.js'));
  const file = emptyDatabaseTemplate(undefined, root);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeEmptyDatabase(file);
}

const t0 = Date.now();
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('vite'), ['build', '--config', 'vite.renderer.config.mts', '--logLevel', 'warn']);
run(bin('vite'), ['build', '--config', 'vite.report.config.mts', '--logLevel', 'warn']);
await buildEmptyDatabase();
await buildSnapshot();
console.log(`tunebench: built engine and renderer in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
