// One long-lived channel per workstation host, pushing what its watched runs append as it is written
// (resources/remote/watch_runs.py), instead of a remote Python and SFTP reads per run every tick.
// The push is a hint: a frame is stored only where the run's cursor already is, anything else (a missed
// frame, a new file, the end of a run) sends the run to the usual full read, and a channel that drops
// leaves the watcher's polling to carry on. Nothing is lost or doubled either way.
import fs from 'node:fs';
import path from 'node:path';
import type { Host } from '../../shared/domain/host';
import { privately, runOrFail, shQuote, type RemoteProcess } from '../hosts/host-access';
import { PACKAGE_ROOT } from '../version';
import type { UnfinishedRun } from './run-store';
import { applyPushedState, ingestPushed, STREAM_KINDS, type RemoteProbe, type SyncDeps } from './run-sync';

const SCRIPT = path.join(PACKAGE_ROOT, 'resources', 'remote', 'watch_runs.py');
const PROBE = path.join(PACKAGE_ROOT, 'resources', 'remote', 'probe_run.py');
/** Waits before opening a channel again after it dropped: doubling from 1 s to 30 s. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

type Frame =
  | { t: 'ready'; inotify: boolean }
  | { t: 'data'; run: string; file: string; id: string; offset: number; b: string }
  | { t: 'reset'; run: string; file: string; why: string }
  | { t: 'state'; run: string; probe: RemoteProbe };

interface Channel {
  hostId: string;
  state: 'starting' | 'up' | 'down';
  process?: RemoteProcess;
  /** Runs watched through it: id to run directory. */
  watched: Map<string, string>;
  retryAt: number;
  retryMs: number;
}

export class RunChannels {
  private readonly channels = new Map<string, Channel>();
  /** Frames and state changes pushed since start (for tests and the bench). */
  readonly stats = { framesStored: 0, resyncs: 0, opened: 0 };

  constructor(
    private readonly deps: SyncDeps,
    /** Reads a run the usual way (and then watches it again from its new cursors). */
    private readonly resync: (runId: string) => void,
  ) {}

  /** Keeps a channel open to each host of these runs, watching exactly them. */
  follow(runs: UnfinishedRun[], hostOf: (run: UnfinishedRun) => Host): void {
    const byHost = new Map<string, UnfinishedRun[]>();
    for (const run of runs) {
      const host = hostOf(run);
      if (host.slurm) continue; // a cluster's runs are followed through its queue and files
      byHost.set(host.id, [...(byHost.get(host.id) ?? []), run]);
    }
    for (const [hostId, channel] of this.channels) {
      if (!byHost.has(hostId)) this.drop(channel);
    }
    for (const [hostId, hostRuns] of byHost) {
      let channel = this.channels.get(hostId);
      if (!channel) {
        channel = { hostId, state: 'down', watched: new Map(), retryAt: 0, retryMs: RETRY_MIN_MS };
        this.channels.set(hostId, channel);
      }
      const wanted = new Set(hostRuns.map((r) => r.id));
      for (const id of [...channel.watched.keys()]) {
        if (!wanted.has(id)) {
          channel.watched.delete(id);
          if (channel.state === 'up') channel.process?.write(JSON.stringify({ op: 'unwatch', run: id }) + '\n');
        }
      }
      for (const run of hostRuns) {
        if (!channel.watched.has(run.id)) {
          channel.watched.set(run.id, run.remoteDir);
          if (channel.state === 'up') this.watch(channel, run.id);
        }
      }
      if (channel.state === 'down' && Date.now() >= channel.retryAt) void this.open(channel, hostRuns[0]!.hostId);
    }
  }

  /** Whether the run's appends reach the engine through a live channel now. */
  covers(runId: string): boolean {
    for (const channel of this.channels.values()) if (channel.state === 'up' && channel.watched.has(runId)) return true;
    return false;
  }

  /** Tells the host's watcher the run's cursors again (after a full read moved them). */
  rewatch(runId: string): void {
    for (const channel of this.channels.values()) if (channel.state === 'up' && channel.watched.has(runId)) this.watch(channel, runId);
  }

  close(): void {
    for (const channel of this.channels.values()) this.drop(channel);
    this.channels.clear();
  }

  private watch(channel: Channel, runId: string): void {
    const files: Record<string, { id: string; offset: number }> = {};
    for (const file of STREAM_KINDS.keys()) {
      const cursor = this.deps.ingestor.cursor(runId, file);
      if (cursor) files[file] = { id: cursor.fileId, offset: cursor.offset };
    }
    channel.process?.write(JSON.stringify({ op: 'watch', run: runId, dir: channel.watched.get(runId), files }) + '\n');
  }

  private drop(channel: Channel): void {
    channel.state = 'down';
    channel.process?.close();
    channel.process = undefined;
    this.channels.delete(channel.hostId);
  }

  private async open(channel: Channel, hostId: string): Promise<void> {
    channel.state = 'starting';
    try {
      const host = this.deps.hosts.get(hostId);
      const access = await this.deps.hosts.access(host);
      const dir = `${host.runRoot.replace(/\/+$/, '')}/.tunebench`;
      await runOrFail(access, privately(`mkdir -p ${shQuote(dir)}`), "Creating the host's watcher folder", 30_000);
      await access.writeFile(`${dir}/watch_runs.py`, fs.readFileSync(SCRIPT), 0o700);
      await access.writeFile(`${dir}/probe_run.py`, fs.readFileSync(PROBE), 0o600); // what watch_runs.py reports a run's state with
      if (this.channels.get(hostId) !== channel) return; // dropped meanwhile
      channel.process = await access.spawn(
        `exec ${host.python} -u ${shQuote(`${dir}/watch_runs.py`)}`,
        (line) => this.onFrame(channel, line),
        () => this.onEnd(channel),
      );
      this.stats.opened++;
    } catch {
      this.onEnd(channel);
    }
  }

  private onEnd(channel: Channel): void {
    channel.process = undefined;
    channel.state = 'down';
    channel.retryAt = Date.now() + channel.retryMs;
    channel.retryMs = Math.min(RETRY_MAX_MS, channel.retryMs * 2);
  }

  private onFrame(channel: Channel, line: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(line) as Frame;
    } catch {
      return; // a shell start-up file's chatter before the watcher starts
    }
    if (frame.t === 'ready') {
      channel.state = 'up';
      channel.retryMs = RETRY_MIN_MS;
      for (const id of channel.watched.keys()) this.watch(channel, id);
      return;
    }
    if (!channel.watched.has(frame.run)) return; // unwatched meanwhile
    try {
      if (frame.t === 'data') {
        const outcome = ingestPushed(this.deps, frame.run, frame.file, frame.id, frame.offset, Buffer.from(frame.b, 'base64'));
        if (outcome === 'stored') this.stats.framesStored++;
        if (outcome === 'resync') this.needsRead(frame.run);
      } else if (frame.t === 'reset') {
        this.needsRead(frame.run);
      } else if (frame.t === 'state') {
        if (applyPushedState(this.deps, frame.run, frame.probe) === 'resync') this.needsRead(frame.run);
      }
    } catch {
      this.needsRead(frame.run); // the database was busy, the run was deleted: the usual read decides
    }
  }

  private needsRead(runId: string): void {
    this.stats.resyncs++;
    this.resync(runId);
  }
}
