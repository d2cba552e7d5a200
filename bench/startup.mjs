// Cold start: the engine (open data dir, migrate, answer one call) and browser mode (first page render).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { followOutput, ms, ratio, ROOT, runSync, tempDir, timeMedian } from './util.mjs';

const BIN = path.join(ROOT, 'bin', 'tunebench.js');
/** The installed command: a launcher that starts Node from the CLI's startup snapshot. */
const COMMAND = path.join(ROOT, 'bin', 'tunebench');
const node = (code) => runSync('node -e (raw better-sqlite3)', process.execPath, ['-e', code], { cwd: ROOT, stdio: 'inherit' }, 60_000);
/** One CLI call, which must succeed in a minute (a benchmark must not time a failure, nor wait for ever). */
const tunebench = (command, args) => runSync(`${path.basename(command)} ${args.slice(0, 2).join(' ')}`, command, args, {}, 60_000);

async function engineColdStart() {
  // The engine as a user starts it: the `tunebench` command (from its startup snapshot), a new data
  // directory (open, migrate), one call.
  const ours = await timeMedian(9, () => tunebench(COMMAND, ['project', 'list', '--json', '--data-dir', tempDir()]));
  const plain = await timeMedian(9, () => tunebench(process.execPath, [BIN, 'project', 'list', '--json', '--data-dir', tempDir()]));
  const baseline = await timeMedian(9, () =>
    node(`const D=require('better-sqlite3');const d=new D(${JSON.stringify(path.join(tempDir(), 'raw.db'))});d.exec('CREATE TABLE t(x)');d.prepare('SELECT * FROM t').all();d.close()`),
  );
  return [
    {
      name: 'engine cold start (new process: open, migrate, one call; target <= 1.5x)',
      ours: ms(ours),
      baseline: ms(baseline),
      baselineName: 'node + raw better-sqlite3 open/create/select',
      ratio: ratio(ours, baseline),
    },
    {
      name: 'engine cold start without the startup snapshot (node bin/tunebench.js)',
      ours: ms(plain),
      baseline: ms(baseline),
      baselineName: 'node + raw better-sqlite3 open/create/select',
      ratio: ratio(plain, baseline),
    },
  ];
}

async function cliColdStart() {
  const dir = tempDir();
  tunebench(COMMAND, ['project', 'create', 'bench', '--data-dir', dir]);
  const ours = await timeMedian(9, () => tunebench(COMMAND, ['project', 'list', '--json', '--data-dir', dir]));
  const baseline = await timeMedian(9, () => runSync('node -e ""', process.execPath, ['-e', ''], {}, 60_000));
  return {
    name: 'CLI `tunebench project list --json` on an existing data dir (target <= 2x)',
    ours: ms(ours),
    baseline: ms(baseline),
    baselineName: 'node -e "" (an empty Node process)',
    ratio: ratio(ours, baseline),
  };
}

/** The first match of `pattern` in what the child prints; fails if it exits first or prints none in 20 s. */
async function waitForLine(child, pattern) {
  const [line] = await followOutput(child).waitFor(pattern, `a line like ${pattern} from ${child.spawnfile}`, 20_000);
  return line;
}

async function browserFirstRender() {
  const { launchChromium } = await import('./browser.mjs');
  const browser = await launchChromium();
  const page = await browser.newPage();
  const ours = await timeMedian(5, async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', tempDir()], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await waitForLine(child, /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/);
    await page.goto(url);
    await page.getByRole('heading', { name: 'No projects yet' }).waitFor();
    child.kill('SIGTERM');
  });
  // Baseline: a plain Node HTTP server in a fresh process serving one static page, rendered by the same browser.
  const serverCode = `require('http').createServer((q,r)=>{r.end('<!doctype html><h1>hello</h1>')}).listen(0,'127.0.0.1',function(){console.log('http://127.0.0.1:'+this.address().port+'/')})`;
  const baseline = await timeMedian(5, async () => {
    const child = spawn(process.execPath, ['-e', serverCode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await waitForLine(child, /http:\/\/127\.0\.0\.1:\d+\//);
    await page.goto(url);
    await page.getByRole('heading', { name: 'hello' }).waitFor();
    child.kill('SIGTERM');
  });
  await browser.close();
  return {
    name: 'browser mode: process start to first page rendered',
    ours: ms(ours),
    baseline: ms(baseline),
    baselineName: 'node http server + static page, same Chromium',
    ratio: ratio(ours, baseline),
  };
}

export const figures = [
  { name: 'engine cold start', run: engineColdStart },
  { name: 'CLI cold start', run: cliColdStart },
  { name: 'browser first render', run: browserFirstRender },
];
