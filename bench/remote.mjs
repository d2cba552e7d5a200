// Remote runs over a real sshd on loopback: ingest throughput, live latency and launch time,
// each beside OpenSSH's own `ssh` doing the closest equivalent in the same run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startSshd } from '../test/support/sshd.mjs';
import { followOutput, median, ms, ratio, ROOT, runSync, tempDir, until, withDeadline } from './util.mjs';

const require = createRequire(import.meta.url);
const { openEngine } = require(path.join(ROOT, 'dist/node/main/app.js'));
const sleep = (t) => new Promise((r) => setTimeout(r, t));

function sshArgs(sshd, knownHosts) {
  return ['-i', sshd.clientKey, '-p', String(sshd.port), '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `${sshd.user}@127.0.0.1`];
}

async function setup() {
  const sshd = await startSshd();
  const knownHosts = path.join(sshd.dir, 'known_hosts');
  const hostPub = fs.readdirSync(sshd.dir).find((f) => f.startsWith('host_ed25519') && f.endsWith('.pub'));
  fs.writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${fs.readFileSync(path.join(sshd.dir, hostPub), 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const dataDir = tempDir();
  const runRoot = tempDir('tb-bench-remote-');
  const engine = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '' });
  await engine.call('projects.create', { name: 'bench' });
  await engine.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
  await engine.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
  return { sshd, knownHosts, dataDir, engine };
}

const waitForFile = (file, timeoutMs = 120_000) => until(file, () => fs.existsSync(file), timeoutMs, 50);

async function ingest({ sshd, knownHosts, engine }) {
  const lines = 1_000_000;
  const writer = `import json\nwith open("metrics.jsonl","w") as f:\n    for i in range(1, ${lines + 1}):\n        f.write(json.dumps({"seq": i, "ts": 1700000000.0 + i, "step": i, "kind": "train", "m": {"loss": 2.0 + (i % 97) / 100}}) + "\\n")\n`;
  const run = await engine.call('runs.launch', { project: 'bench', host: 'box', recipe: 'custom', params: { command: `/usr/bin/python3 -c '${writer.replace(/'/g, `'\\''`)}'` } });
  await waitForFile(path.join(run.remoteDir, '.tb', 'exit_code'));
  const file = path.join(run.remoteDir, 'metrics.jsonl');
  const bytes = fs.statSync(file).size;
  const t0 = performance.now();
  const synced = await engine.call('runs.sync', { id: run.id });
  const ours = performance.now() - t0;
  if (synced.metricPoints !== lines) throw new Error(`stored ${synced.metricPoints} of ${lines} points`);
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = runSync('`ssh host cat` of the metrics file', 'ssh', [...sshArgs(sshd, knownHosts), 'cat', file], { maxBuffer: 1 << 30 }, 300_000);
    if (r.status !== 0) throw new Error(`ssh cat failed: ${r.stderr}`);
    samples.push(performance.now() - t);
  }
  const base = median(samples);
  // The same lines from a run on this machine (no SSH): what the link costs the tracker.
  const local = await engine.call('runs.launch', { project: 'bench', host: 'local', recipe: 'custom', params: { command: `/usr/bin/python3 -c '${writer.replace(/'/g, `'\\''`)}'` } });
  await waitForFile(path.join(local.remoteDir, '.tb', 'exit_code'));
  const t1 = performance.now();
  const localSynced = await engine.call('runs.sync', { id: local.id });
  const localMs = performance.now() - t1;
  if (localSynced.metricPoints !== lines) throw new Error(`stored ${localSynced.metricPoints} of ${lines} local points`);
  const rate = (n, t) => `${Math.round(n / (t / 1000)).toLocaleString('en-US')} pts/s`;
  return [
    {
      name: `ingest 1,000,000 metric lines (${(bytes / 2 ** 20).toFixed(0)} MiB) over SSH into SQLite`,
      ours: `${rate(lines, ours)} (${ms(ours)})`,
      baseline: `${rate(lines, base)} (${ms(base)})`,
      baselineName: '`ssh host cat` of the same file',
      ratio: ratio(ours, base),
    },
    {
      name: 'ingest over SSH beside the same lines from a local run (target: >= 0.8x the local rate)',
      ours: `${rate(lines, ours)} (${ms(ours)})`,
      baseline: `${rate(lines, localMs)} (${ms(localMs)})`,
      baselineName: 'the tracker reading a local run',
      ratio: ratio(ours, localMs),
    },
  ];
}

async function liveLatency({ sshd, knownHosts, dataDir, engine }, runCount = 1) {
  engine.close();
  const live = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 500 }); // the app's setting
  const runs = [];
  for (let i = 0; i < runCount; i++) runs.push(await live.call('runs.launch', { project: 'bench', host: 'box', recipe: 'custom', params: { command: 'sleep 600' } }));
  const fileOf = (run) => path.join(run.remoteDir, 'metrics.jsonl');
  for (const run of runs) fs.writeFileSync(fileOf(run), '');
  // Ready when the app follows every run through the host's channel: the first append is not timing a login.
  await until(
    'the app to see every run RUNNING',
    async () => (await live.call('runs.list', { project: 'bench' })).filter((r) => runs.some((x) => x.id === r.id) && r.status === 'RUNNING').length === runCount,
    120_000,
  );
  await until('the host channel to be up', () => live.liveStats().channelsOpened >= 1 && live.liveStats().framesStored + live.liveStats().fullReads > 0, 30_000);
  await sleep(1000);
  const root = path.dirname(path.dirname(runs[0].remoteDir));
  const watchers = runSync('pgrep watch_runs.py', 'pgrep', ['-f', `${root}/.tunebench/watch_runs.py`], { encoding: 'utf8' }, 10_000)
    .stdout.trim()
    .split('\n')
    .filter(Boolean).length;
  if (watchers !== 1) throw new Error(`expected one channel (watch_runs.py) for the host, found ${watchers}`);
  const line = (seq) => JSON.stringify({ seq, ts: Date.now() / 1000, step: seq, m: { loss: 1 } });
  const ours = [];
  const counts = new Map();
  const readsBefore = live.liveStats().fullReads;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let i = 0; i < 20; i++) {
    await sleep(100 + Math.random() * 400);
    const run = runs[Math.floor(Math.random() * runs.length)];
    const seq = (counts.get(run.id) ?? 0) + 1;
    counts.set(run.id, seq);
    const t0 = performance.now();
    fs.appendFileSync(fileOf(run), line(seq) + '\n');
    await until(`point ${seq} of a run readable through the API`, async () => (await live.call('runs.get', { id: run.id })).metricPoints >= seq, 10_000, 2);
    ours.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  const fullReads = live.liveStats().fullReads - readsBefore;
  // No remote process per run per tick: with the channel up, each run is read in full at most once a minute.
  if (fullReads > runCount) throw new Error(`${fullReads} full reads of ${runCount} runs in ${(wall / 1000).toFixed(0)} s: the runs were polled, not pushed`);
  // The baseline follows one file with `tail -F`. Appending before tail has opened the file loses the
  // line, and waiting for it hung a whole bench run: tail first prints the file's last line, and only
  // once that is printed is it following, ready for the next append.
  const file = fileOf(runs[0]);
  fs.appendFileSync(file, line(1000) + '\n');
  const tail = spawn('ssh', [...sshArgs(sshd, knownHosts), 'tail', '-n', '1', '-F', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const printed = followOutput(tail);
  const base = [];
  try {
    await printed.waitFor(/"seq":\s*1000\b/, "`ssh tail -F` to print the file's last line (ready)", 30_000);
    for (let seq = 1001; seq <= 1020; seq++) {
      await sleep(100 + Math.random() * 400);
      const from = printed.text().length;
      const t0 = performance.now();
      fs.appendFileSync(file, line(seq) + '\n');
      await printed.waitFor(new RegExp(`"seq":\\s*${seq}\\b`), `\`ssh tail -F\` to print point ${seq}`, 10_000, from);
      base.push(performance.now() - t0);
    }
  } finally {
    tail.kill();
    for (const run of runs) await withDeadline('the run to be cancelled', live.call('runs.cancel', { id: run.id }), 30_000).catch(() => {});
    live.close();
  }
  const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
  const cpuPerSecond = (cpu.user + cpu.system) / 1000 / (wall / 1000);
  return {
    name: `live latency, ${runCount} run${runCount > 1 ? 's' : ''} on one host: remote append to point readable through the API (p50 / p95; target <= 50 / 150 ms)`,
    ours: `${ms(pct(ours, 50))} / ${ms(pct(ours, 95))}; engine CPU ${cpuPerSecond.toFixed(0)} ms/s; ${fullReads} full reads in ${(wall / 1000).toFixed(0)} s`,
    baseline: `${ms(pct(base, 50))} / ${ms(pct(base, 95))}`,
    baselineName: '`ssh host tail -F` printing the line (no storage)',
    ratio: ratio(pct(ours, 50), pct(base, 50)),
  };
}

async function launchTime({ sshd, knownHosts, dataDir }) {
  const engine = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '' });
  await engine.call('hosts.probe', { ref: 'box' }); // a warm pooled connection, as in a running app
  const ours = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await engine.call('runs.launch', { project: 'bench', host: 'box', recipe: 'demo-lora-stdlib', params: { steps: 5 } });
    ours.push(performance.now() - t0);
  }
  engine.close();
  const base = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    runSync('`ssh host python3 -c pass`', 'ssh', [...sshArgs(sshd, knownHosts), '/usr/bin/python3', '-c', 'pass'], {}, 60_000);
    base.push(performance.now() - t0);
  }
  return {
    name: 'launch a demo run (claim dir, upload 8 files, start supervisor)',
    ours: ms(median(ours)),
    baseline: ms(median(base)),
    baselineName: '`ssh host python3 -c pass` (one connection, one command)',
    ratio: ratio(median(ours), median(base)),
  };
}

async function withSetup(fn) {
  const ctx = await setup();
  try {
    return await fn(ctx);
  } finally {
    try {
      ctx.engine.close();
    } catch {
      // already closed
    }
    await ctx.sshd.stop();
  }
}

export const figures = [
  { name: 'ingest over SSH', run: () => withSetup(ingest) },
  { name: 'live latency', run: () => withSetup((ctx) => liveLatency(ctx, 1)) },
  { name: 'live latency, 100 runs', run: () => withSetup((ctx) => liveLatency(ctx, 100)) },
  { name: 'launch time', run: () => withSetup(launchTime) },
];
