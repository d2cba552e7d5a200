// Changes made by another process (the CLI beside the open app) reach the app as events, for every
// kind of record the UI shows: projects, runs, hosts, registries, suites, candidates, signers, approvals.
import { afterEach, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CHANGE_EVENT_NAMES, type ChangeEventName } from '../../src/shared/names';
import type { EventPayload } from '../../src/shared/contract';
import { tempDir } from '../support/tunebench';

const opened: Engine[] = [];
afterEach(() => {
  for (const e of opened.splice(0)) e.close();
});

/** The app (polling for other processes' commits, as the desktop app and `serve` do) and a CLI beside it. */
function appAndCli(): { app: Engine; cli: Engine } {
  const dataDir = tempDir('tb-elsewhere-');
  const app = openEngine({ dataDir, externalChangePollMs: 10, knownHostsFiles: [], agentSocket: '' });
  const cli = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '' });
  opened.push(app, cli);
  return { app, cli };
}

/** Resolves with the first `event` the engine emits after this call, or fails naming what it waited for. */
function next<E extends ChangeEventName>(engine: Engine, event: E, timeoutMs = 3000): Promise<EventPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = engine.events.on(event, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

describe('changes made by another process', () => {
  it('are told as every kind of change event once the other process commits', async () => {
    const { app, cli } = appAndCli();
    const all = Promise.all(CHANGE_EVENT_NAMES.map((e) => next(app, e)));
    await cli.call('projects.create', { name: 'elsewhere' });
    const payloads = await all;
    // Whatever the kind, the id is null: the app cannot tell which record another process changed.
    for (const p of payloads) expect(Object.values(p)).toEqual([null]);
  });

  it('show hosts added, changed and removed from the CLI', async () => {
    const { app, cli } = appAndCli();
    let told = next(app, 'hosts.changed');
    await cli.call('hosts.add', { name: 'gpu-box', hostname: 'gpu-box.example', user: 'me' });
    expect(await told).toEqual({ hostId: null });
    expect((await app.call('hosts.list', {})).map((h) => h.name)).toContain('gpu-box');

    told = next(app, 'hosts.changed');
    await cli.call('hosts.configure', { ref: 'gpu-box', python: '/opt/py/bin/python3' });
    await told;
    expect((await app.call('hosts.list', {})).find((h) => h.name === 'gpu-box')?.python).toBe('/opt/py/bin/python3');

    told = next(app, 'hosts.changed');
    await cli.call('hosts.remove', { ref: 'gpu-box' });
    await told;
    expect((await app.call('hosts.list', {})).map((h) => h.name)).not.toContain('gpu-box');
  });

  it('show registries, suites, candidates, signers and approvals changed from the CLI', async () => {
    const { app, cli } = appAndCli();
    const seeded = await cli.call('demo.seed', { runs: 1, points: 20 });

    let told: Promise<unknown> = next(app, 'registries.changed');
    await cli.call('registries.add', { name: 'team', oci: 'https://registry.example/team' });
    await told;
    expect((await app.call('registries.list', {})).map((r) => r.name)).toEqual(['team']);
    told = next(app, 'registries.changed');
    await cli.call('registries.remove', { name: 'team' });
    await told;
    expect(await app.call('registries.list', {})).toEqual([]);

    const suite = { name: 'quick', version: 1, cases: [{ id: 'a', kind: 'contains', input: 'hi', expect: 'hello' }] };
    told = next(app, 'projects.changed');
    await cli.call('suites.add', { project: 'demo', fileName: 'quick.json', text: JSON.stringify(suite) });
    await told;
    expect((await app.call('suites.list', { project: 'demo' })).map((s) => s.name)).toEqual(['quick']);

    told = next(app, 'projects.changed');
    await cli.call('candidates.propose', { run: seeded.runIds[0]!, reason: 'lowest loss' });
    await told;
    expect((await app.call('candidates.list', { project: 'demo' })).map((c) => c.runId)).toEqual([seeded.runIds[0]]);

    const signers = 'alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n';
    told = next(app, 'projects.changed');
    await cli.call('approvals.setRules', { project: 'demo', allowedSigners: signers });
    await told;
    expect((await app.call('approvals.rules', { project: 'demo' })).allowedSigners).toBe(signers);
  });
});

describe('changes made in the app itself', () => {
  it('name the host or registry that changed', async () => {
    const { app } = appAndCli();
    const seen: string[] = [];
    app.events.onAny((event, payload) => seen.push(`${event} ${JSON.stringify(payload)}`));
    const host = await app.call('hosts.add', { name: 'gpu-box', hostname: 'gpu-box.example', user: 'me' });
    await app.call('hosts.configure', { ref: 'gpu-box', runRoot: '/scratch/me' });
    await app.call('hosts.remove', { ref: 'gpu-box' });
    const registry = await app.call('registries.add', { name: 'team', oci: 'https://registry.example/team' });
    await app.call('registries.remove', { name: 'team' });
    const hostChange = `hosts.changed {"hostId":"${host.id}"}`;
    const registryChange = `registries.changed {"registryId":"${registry.id}"}`;
    expect(seen).toEqual([hostChange, hostChange, hostChange, registryChange, registryChange]);
  });
});
