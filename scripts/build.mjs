// Builds what the CLI and browser mode run: the engine (tsc -> dist/node), the renderer (vite -> dist/renderer)
// and the CLI's startup snapshot (dist/snapshot).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSnapshot } from './build-snapshot.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const t0 = Date.now();
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('vite'), ['build', '--config', 'vite.renderer.config.mts', '--logLevel', 'warn']);
run(bin('vite'), ['build', '--config', 'vite.report.config.mts', '--logLevel', 'warn']);
await buildSnapshot();
console.log(`tunebench: built engine and renderer in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
