// Builds the CLI's V8 startup snapshot (dist/snapshot/tunebench.blob), which bin/tunebench starts from:
// the engine's code, zod and the contract are then in the heap at process start instead of being loaded
// and evaluated by every command (~180 ms -> ~80 ms for `project list` here).
//
// 1. rolldown bundles src/main/cli/snapshot-entry.ts into one CommonJS file (a snapshot's builder can
//    require only Node's built-in modules); packages stay outside and are required on use.
// 2. `node --build-snapshot` runs it and writes the heap.
// Anything that fails leaves no blob, and bin/tunebench then runs the plain CLI: slower, never broken.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'snapshot');
const blob = path.join(out, 'tunebench.blob');

export async function buildSnapshot() {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const bundle = path.join(out, 'cli.cjs');
  await build({
    input: path.join(root, 'src', 'main', 'cli', 'snapshot-entry.ts'),
    platform: 'node',
    // Required on use through nodeRequire (src/main/lazy.ts): native addons cannot be in a snapshot.
    // better-sqlite3's JavaScript is in it; its addon is loaded at run time (src/main/db/sqlite.ts).
    external: ['ssh2', 'ws', 'undici', 'yaml', 'ajv', 'yazl', 'yauzl'],
    logLevel: 'warn',
    output: { file: bundle, format: 'cjs' },
  });
  try {
    execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], { cwd: out, stdio: ['ignore', 'ignore', 'pipe'] });
    // The blob runs only on the Node that built it: bin/tunebench compares this stamp with the node it
    // finds, and runs the plain CLI when they differ.
    // The node on PATH, as bin/tunebench finds it (`command -v node`); the one running this build when
    // none is (the launcher then runs the plain CLI).
    const node =
      (process.env.PATH ?? '')
        .split(path.delimiter)
        .map((d) => path.join(d, 'node'))
        .find((f) => fs.existsSync(f)) ?? process.execPath;
    // The folder too: the snapshot holds the package's path (resources are found from it), so a moved
    // checkout runs the plain CLI until it is built again. A node upgraded in place is newer than the blob.
    fs.writeFileSync(path.join(out, 'node-stamp'), `${fs.realpathSync(root)} ${node}\n`);
  } catch (err) {
    fs.rmSync(blob, { force: true });
    process.stderr.write(
      `tunebench: no startup snapshot (the CLI runs without it): ${
        String(err.stderr ?? err)
          .split('\n')
          .find((l) => /Error|error/.test(l)) ?? err
      }\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildSnapshot();
