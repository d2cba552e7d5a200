// A firing is taken before its training is launched: a launch uploads the data for a while, and a
// firing that came meanwhile used to fold into the one being launched (changing the data it says it
// trained on, while the run trained on the old data), and a second engine on the same data could launch
// the same firing again. Real SQLite; the launch is held by the test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { ContinuousTraining, type PipelineDeps } from '../../src/main/continuous/pipeline';
import { DatasetStore } from '../../src/main/continuous/datasets';
import { TriggerStore } from '../../src/main/continuous/triggers';
import { openDatabase } from '../../src/main/db/open';
import type { Run } from '../../src/shared/domain/run';
import type { Project } from '../../src/shared/domain/project';
import { tempDir } from '../support/tunebench';
import { until } from '../support/wait';

let dataDir: string;
let project: Project;
let hostId: string;
const closers: (() => void)[] = [];

beforeAll(async () => {
  dataDir = tempDir('tb-claim-');
  const e = openEngine({ dataDir, knownHostsFiles: [], agentSocket: '', runSyncIntervalMs: 0 });
  project = await e.call('projects.create', { name: 'claims' });
  hostId = (await e.call('hosts.list', {})).find((h) => h.name === 'local')!.id;
  e.close();
});

afterAll(() => closers.forEach((c) => c()));

/** A pipeline on its own connection (as a second engine would have), whose launches wait for `release`. */
function pipeline() {
  const { db } = openDatabase(dataDir);
  closers.push(() => db.close());
  const triggers = new TriggerStore(db);
  const launches: { input: Parameters<PipelineDeps['launch']>[0]; release: (run: Run) => void }[] = [];
  const deps: PipelineDeps = {
    triggers,
    datasets: new DatasetStore(db, dataDir),
    project: () => ({ ...project, recipe: { name: 'demo-lora-stdlib', params: {}, fromRunId: 'r0', code: null } }) as unknown as Project,
    run: (id) => ({ id, status: 'RUNNING' }) as Run,
    pinnedSuite: () => null,
    launch: (input) => new Promise<Run>((release) => launches.push({ input, release })),
    scratchDir: tempDir(),
    startTest: () => Promise.reject(new Error('not in this test')),
    test: () => {
      throw new Error('not in this test');
    },
    propose: () => {},
    onChanged: () => {},
    lookAtWatchedDatasets: async () => [],
    triggersOf: () => [],
  };
  return { triggers, launches, ct: new ContinuousTraining(deps) };
}

describe('a firing being launched', () => {
  it('is taken first: a firing coming during the launch waits its own turn, and a second engine does not launch it again', async () => {
    const a = pipeline();
    const b = pipeline();
    const trigger = a.triggers.add({ projectId: project.id, kind: 'manual', datasetId: null, schedule: null, hostId });
    const first = a.ct.fire(trigger, 'by hand, first');
    const pass = a.ct.tick();
    await until('the launch to begin', () => a.launches.length === 1);
    expect(a.triggers.firing(first.id)).toMatchObject({ status: 'TRAINING', runId: null });

    // Fired while the first uploads: its own firing, waiting (it used to fold into the one being launched).
    const second = a.ct.fire(trigger, 'by hand, second');
    expect(second.status).toBe('QUEUED');
    expect(a.triggers.firing(first.id).detail ?? '').not.toMatch(/also fired/);

    // A second engine's pass meanwhile: the first is taken, the second waits for the project's training to end.
    await b.ct.tick();
    expect(b.launches).toHaveLength(0);
    expect(b.triggers.firing(first.id)).toMatchObject({ status: 'TRAINING', runId: null });

    a.launches[0]!.release({ id: 'run-1', status: 'STARTING' } as Run);
    await pass;
    expect(a.triggers.firing(first.id)).toMatchObject({ status: 'TRAINING', runId: 'run-1' });
    expect(a.triggers.firing(second.id).status).toBe('QUEUED');
  });

  it('left with no run by an app that quit mid-launch fails after a while, saying so, and a launch ending late does not undo that', async () => {
    const a = pipeline();
    const trigger = a.triggers.add({ projectId: project.id, kind: 'manual', datasetId: null, schedule: null, hostId });
    // Whatever the first test left training or waiting: done with, so this project's next firing starts.
    const { db } = openDatabase(dataDir);
    closers.push(() => db.close());
    db.prepare("UPDATE trigger_firings SET status = 'FAILED' WHERE status IN ('QUEUED', 'TRAINING')").run();
    const firing = a.ct.fire(trigger, 'by hand');
    const pass = a.ct.tick();
    await until('the launch to begin', () => a.launches.length === 1);
    // An hour ago, as far as the row says.
    db.prepare('UPDATE trigger_firings SET updated_at = ? WHERE id = ?').run(Date.now() - 60 * 60_000, firing.id);
    const b = pipeline();
    await b.ct.tick(); // another engine: not launching it, and it is an hour old
    expect(b.triggers.firing(firing.id)).toMatchObject({ status: 'FAILED', detail: 'The app stopped while launching the training; fire the trigger again.' });
    // The launch here still ends: its run is not attached to a firing that was given up.
    a.launches[0]!.release({ id: 'run-2', status: 'STARTING' } as Run);
    await pass;
    expect(a.triggers.firing(firing.id).status).toBe('FAILED');
  });
});
