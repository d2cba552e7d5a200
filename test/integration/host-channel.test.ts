// One channel per host (resources/remote/watch_runs.py) against a real OpenSSH server on loopback:
// appends reach the tracker as they are written (not at the next poll), through one channel for all of
// the host's runs, and cutting that channel or the whole link mid-stream loses and doubles nothing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import type { Run } from '../../src/shared/domain/run';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';
import { until as waitUntil, sleep } from '../support/wait';

const until = <T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 60_000) => waitUntil(what, check, timeoutMs, 5);

let sshd: TestSshd;
let dataDir: string;
let runRoot: string;

// A slow poll (2 s), so that what arrives faster came through the channel.
const POLL_MS = 2000;
const open = (): Engine => openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: POLL_MS, checkOutputs: true });

/** This host's watcher processes (one per channel), by their place under this test's run root (other tests run beside). */
const watchers = () => {
  try {
    return execFileSync('pgrep', ['-f', `${runRoot}/.tunebench/watch_runs.py`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

async function expectExactCopy(e: Engine, run: Run) {
  const remote = fs
    .readFileSync(path.join(run.remoteDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
  const stored = (await e.call('runs.metrics', { id: run.id })).filter((p) => p.stream === 'metrics').map((p) => p.seq);
  expect(stored.length).toBe(remote.length);
  expect([...stored].sort((a, b) => a - b)).toEqual(remote);
  const remoteLog = fs
    .readFileSync(path.join(run.remoteDir, 'logs', 'output.log'), 'utf8')
    .split('\n')
    .slice(0, -1);
  const logs = await e.call('runs.logs', { id: run.id, limit: 100_000 });
  expect(logs.map((l) => l.text)).toEqual(remoteLog);
}

beforeAll(async () => {
  sshd = await startSshd();
  dataDir = tempDir('tb-channel-');
  runRoot = tempDir('tb-channel-remote-');
  const e = open();
  await e.call('projects.create', { name: 'live' });
  await e.call('hosts.add', { name: 'box', hostname: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.clientKey, python: '/usr/bin/python3', runRoot });
  await e.call('hosts.trust', { ref: 'box', fingerprint: sshd.hostKeyFingerprint });
  e.close();
});

afterAll(async () => {
  await sshd?.stop();
});

describe('one channel per host', () => {
  it("pushes every run's appends as they are written, through one channel for all of them", async () => {
    const e = open();
    try {
      const runs = await Promise.all(Array.from({ length: 5 }, () => e.call('runs.launch', { project: 'live', host: 'box', recipe: 'custom', params: { command: 'sleep 600' } })));
      for (const r of runs) fs.writeFileSync(path.join(r.remoteDir, 'metrics.jsonl'), '');
      await until('the runs RUNNING', async () => (await e.call('runs.list', { project: 'live' })).filter((r) => r.status === 'RUNNING').length === 5);
      await until('the channel to be up', () => e.liveStats().channelsOpened === 1 && watchers().length === 1);
      const readsBefore = e.liveStats().fullReads;
      const latencies: number[] = [];
      const points = new Map<string, number>();
      for (let i = 0; i < 10; i++) {
        const run = runs[i % runs.length]!;
        const want = (points.get(run.id) ?? 0) + 1;
        points.set(run.id, want);
        const t0 = performance.now();
        fs.appendFileSync(path.join(run.remoteDir, 'metrics.jsonl'), JSON.stringify({ seq: want, ts: Date.now() / 1000, step: want, kind: 'train', m: { loss: 1 } }) + '\n');
        await until(`point ${want} of ${run.id}`, async () => (await e.call('runs.get', { id: run.id })).metricPoints >= want, 10_000);
        latencies.push(performance.now() - t0);
        await sleep(50);
      }
      latencies.sort((a, b) => a - b);
      // Polling every 2 s would take about a second on average; pushed, it is milliseconds.
      expect(latencies[Math.floor(latencies.length / 2)]!).toBeLessThan(400);
      // One channel for the host, and no full read of each run per tick while it is up (a safety read every 60 s at most).
      expect(watchers()).toHaveLength(1);
      expect(e.liveStats().fullReads - readsBefore).toBeLessThanOrEqual(5);
      expect(e.liveStats().framesStored).toBeGreaterThanOrEqual(10);
      for (const r of runs) await e.call('runs.cancel', { id: r.id });
    } finally {
      e.close();
    }
    await until('the watcher to leave with its channel', () => watchers().length === 0, 10_000);
  }, 120_000);

  it('loses and doubles nothing when its channel is killed, or the whole link cut, mid-stream', async () => {
    const e = open();
    try {
      // 3000 points and log lines, one every 2 ms, then a pause so the last ones arrive before the end.
      const writer = [
        'import json, sys, time',
        'with open("metrics.jsonl", "a") as f:',
        '    for i in range(1, 3001):',
        '        f.write(json.dumps({"seq": i, "ts": time.time(), "step": i, "kind": "train", "m": {"loss": 1.0 / i}}) + "\\n")',
        '        f.flush()',
        '        print("line %d" % i, flush=True)',
        '        time.sleep(0.002)',
      ].join('\n');
      const run = await e.call('runs.launch', { project: 'live', host: 'box', recipe: 'custom', params: { command: `/usr/bin/python3 -c '${writer.replace(/'/g, `'\\''`)}'` } });
      await until('the first points', async () => (await e.call('runs.get', { id: run.id })).metricPoints > 200);
      // Kill the host's watcher: the channel ends, polling carries on, a new channel opens.
      for (const pid of watchers()) process.kill(pid, 'SIGKILL');
      const stored = (await e.call('runs.get', { id: run.id })).metricPoints;
      await until('more points after the channel was killed', async () => (await e.call('runs.get', { id: run.id })).metricPoints > stored + 300);
      await until('a second channel', () => e.liveStats().channelsOpened >= 2);
      // Cut the whole link while it writes.
      await sshd.takeLinksDown();
      await sleep(300);
      await sshd.restoreLinks();
      const done = await until(
        'the run to end with every point stored',
        async () => {
          const r = await e.call('runs.get', { id: run.id });
          return r.status === 'SUCCEEDED' && r.metricPoints >= 3000 ? r : undefined;
        },
        90_000,
      );
      await expectExactCopy(e, done);
      expect(done.metricPoints).toBe(3000);
    } finally {
      e.close();
    }
  }, 150_000);
});
