#!/usr/bin/env node
// The `tunebench` command. The engine is TypeScript compiled by `npm run build` into dist/node.
'use strict';
const path = require('node:path');

let cli;
try {
  cli = require(path.join(__dirname, '..', 'dist', 'node', 'main', 'cli', 'main.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(path.join('dist', 'node'))) {
    process.stderr.write(`error [NOT_BUILT]: Tunebench is not built. Run \`npm run build\` in ${path.resolve(__dirname, '..')}.\n`);
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`error [INTERNAL]: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
