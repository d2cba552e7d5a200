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

async function liveLatency({ sshd, knownHosts, dataDir, engine }) {
  engine.close();
  const live = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 500 }); // the app's setting
  const run = await live.call('runs.launch', { project: 'bench', host: 'box', recipe: 'custom', params: { command: 'sleep 600' } });
  const file = path.join(run.remoteDir, 'metrics.jsonl');
  fs.writeFileSync(file, '');
  // Ready when the app has synced the run over its connection: the first append is not timing a login.
  await until('the app to see the run RUNNING', async () => (await live.call('runs.get', { id: run.id })).status === 'RUNNING', 30_000);
  const line = (seq) => JSON.stringify({ seq, ts: Date.now() / 1000, step: seq, m: { loss: 1 } });
  const ours = [];
  for (let seq = 1; seq <= 20; seq++) {
    await sleep(100 + Math.random() * 400);
    const t0 = performance.now();
    fs.appendFileSync(file, line(seq) + '\n');
    await until(`point ${seq} readable through the API`, async () => (await live.call('runs.get', { id: run.id })).metricPoints >= seq, 10_000, 5);
    ours.push(performance.now() - t0);
  }
  // The baseline follows the file with `tail -F`. Appending before tail has opened the file loses the
  // line, and waiting for it hung a whole bench run: tail first prints the file's last line (point 20),
  // and only once that is printed is it following, ready for the next append.
  const tail = spawn('ssh', [...sshArgs(sshd, knownHosts), 'tail', '-n', '1', '-F', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const printed = followOutput(tail);
  const base = [];
  try {
    await printed.waitFor(/"seq":\s*20\b/, "`ssh tail -F` to print the file's last line (ready)", 30_000);
    for (let seq = 21; seq <= 40; seq++) {
      await sleep(100 + Math.random() * 400);
      const from = printed.text().length;
      const t0 = performance.now();
      fs.appendFileSync(file, line(seq) + '\n');
      await printed.waitFor(new RegExp(`"seq":\\s*${seq}\\b`), `\`ssh tail -F\` to print point ${seq}`, 10_000, from);
      base.push(performance.now() - t0);
    }
  } finally {
    tail.kill();
    await withDeadline('the run to be cancelled', live.call('runs.cancel', { id: run.id }), 30_000).catch(() => {});
    live.close();
  }
  const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
  return {
    name: 'live latency: remote append to point readable through the API (p50 / p95)',
    ours: `${ms(pct(ours, 50))} / ${ms(pct(ours, 95))}`,
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
  { name: 'live latency', run: () => withSetup(liveLatency) },
  { name: 'launch time', run: () => withSetup(launchTime) },
];
