// The CLI as a V8 startup snapshot (built by scripts/build-snapshot.mjs, run by bin/tunebench): the
// engine's code, zod and the contract are already built in the heap when the process starts, so a
// command does not spend ~100 ms loading and evaluating them. Packages are required on use through the
// real require set here (a snapshot's own require knows only Node's built-in modules).
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { PACKAGE_ROOT } from '../version';
import { main } from './main';

v8.startupSnapshot.setDeserializeMainFunction(() => {
  (globalThis as { __tunebenchRequire?: NodeJS.Require }).__tunebenchRequire = createRequire(path.join(PACKAGE_ROOT, 'package.json'));
  // `node --snapshot-blob B -- args`: argv[1] onwards are the command's words.
  const args = process.argv.slice(process.argv[1] === '--' ? 2 : 1);
  main(args).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error [INTERNAL]: ${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
});
