// A sweep on a SLURM cluster, the parts that need no cluster: what each trial's job asks for (its GPUs
// as --gres, so SLURM packs trials onto GPUs), the scheduler's own small CPU job, and what the app takes
// from the scheduler's decisions.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/shared/domain/host';
import type { SlurmPartition, SlurmProbe } from '../../src/shared/domain/slurm';
import { applySlurmDecisions, schedulerScript, trialResources } from '../../src/main/sweeps/slurm-sweep';
import { openEngine } from '../../src/main/app';
import { RunStore } from '../../src/main/runs/run-store';
import type { SweepDeps } from '../../src/main/sweeps/sweep-service';
import type { Sweep } from '../../src/shared/domain/sweep';
import { tempDir } from '../support/tunebench';
import { slurmScript } from '../../src/main/runs/backends';

const host = (slurm: Host['slurm']): Host => ({
  id: '01J00000000000000000000000',
  name: 'hpc',
  kind: 'ssh',
  hostname: 'login',
  port: 22,
  user: 'me',
  identityFile: null,
  proxyJump: null,
  python: 'python3',
  runRoot: '/scratch/me/tb',
  slurm,
  createdAt: 0,
});

const partition = (p: Partial<SlurmPartition>): SlurmPartition => ({
  name: 'gpu',
  isDefault: false,
  up: true,
  maxTimeSeconds: 2 * 86400,
  maxNodes: null,
  nodes: 4,
  nodeList: 'g[1-4]',
  cpusPerNode: 64,
  memoryMiBPerNode: 512000,
  gpusPerNode: 8,
  gres: 'gpu:8',
  ...p,
});

const probe = (partitions: SlurmPartition[]): SlurmProbe => ({
  version: '22.05.8',
  partitions,
  jobs: [],
  accounting: false,
  accountingDetail: '',
  sharedRunRoot: true,
  sharedRunRootDetail: '',
  computeSubmit: true,
  computeSubmitDetail: '',
});

describe("a SLURM sweep's trials", () => {
  it('ask for their GPUs with --gres: 1 by default on a partition with GPUs, 0 on one without, the number given otherwise', () => {
    const h = host({ partition: 'gpu', time: '4:00:00' });
    const withGpus = probe([partition({}), partition({ name: 'cpu', isDefault: true, gpusPerNode: 0, gres: '' })]);
    const one = trialResources(h, undefined, withGpus);
    expect(one).toEqual({ gpusPerTrial: 1, resources: { nodes: 1, gpusPerNode: 1, time: '4:00:00', partition: 'gpu' } });
    expect(slurmScript(h, 'RUN1', one.resources)).toMatch(/#SBATCH --job-name=tb-RUN1\n[\s\S]*#SBATCH --gres=gpu:1\n/);
    expect(trialResources(h, 4, withGpus).resources.gpusPerNode).toBe(4);
    // The default partition has no GPUs: trials ask for none.
    expect(trialResources(host({}), undefined, withGpus)).toEqual({ gpusPerTrial: 0, resources: { nodes: 1 } });
    // Unknown (never probed): none unless the sweep says so.
    expect(trialResources(h, undefined, null).gpusPerTrial).toBe(0);
    expect(trialResources(h, 2, null).resources.gpusPerNode).toBe(2);
  });

  it('are refused before anything runs when each asks for more GPUs than a node of the partition has', () => {
    expect(() => trialResources(host({ partition: 'gpu' }), 9, probe([partition({})]))).toThrow(
      /Each trial asks for 9 GPU\(s\) and the nodes of partition gpu on hpc have 8\. Set gpus_per_trial lower/,
    );
  });
});

describe("a SLURM sweep's scheduler job", () => {
  it("is one CPU with a little memory, requeued, named after the sweep, for the partition's time limit, after the setup line", () => {
    const script = schedulerScript(host({ partition: 'gpu', account: 'lab', setup: 'module load slurm', sbatchLines: ['--constraint=x'] }), 'SWEEP1', probe([partition({})]));
    const options = script.split('\n').filter((l) => l.startsWith('#SBATCH '));
    expect(options).toEqual([
      '#SBATCH --job-name=tb-sweep-SWEEP1',
      '#SBATCH --nodes=1',
      '#SBATCH --ntasks=1',
      '#SBATCH --cpus-per-task=1',
      '#SBATCH --mem=256M',
      '#SBATCH --time=2-00:00:00',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab',
      '#SBATCH --requeue',
      '#SBATCH --open-mode=append',
      '#SBATCH --output=.tb/scheduler-%j.out',
      '#SBATCH --constraint=x',
    ]);
    expect(script).not.toMatch(/gres/);
    expect(script).toMatch(/\nmodule load slurm\npython3 \.tb\/sweep_scheduler\.py \. <\/dev\/null >>\.tb\/scheduler\.log 2>&1\n$/);
    // A partition whose limit is not known: no --time, SLURM gives the partition's.
    expect(schedulerScript(host({}), 'S', null)).not.toMatch(/--time/);
  });
});

describe("a SLURM sweep's decisions, as the app takes them", () => {
  it('give a trial its job and PENDING, but never undo a cancel asked before the job was submitted', async () => {
    const engine = openEngine({ dataDir: tempDir('tb-slurm-decisions-'), knownHostsFiles: [], agentSocket: '' });
    try {
      const project = await engine.call('projects.create', { name: 'p' });
      const hostId = engine.hosts.get('local').id;
      const runs = new RunStore(engine.db);
      const trial = (id: string, status: 'STARTING' | 'CANCELLING') => runs.insert({ id, projectId: project.id, hostId, recipe: 'custom', params: {}, remoteDir: `/x/${id}`, status });
      trial('01J0000000000000000000000A', 'STARTING');
      trial('01J0000000000000000000000B', 'CANCELLING');
      const deps = { runs, onChanged: () => {}, onSubmitted: () => {} } as unknown as SweepDeps;
      const sweep = { hostId, trials: [{ runId: '01J0000000000000000000000A' }, { runId: '01J0000000000000000000000B' }] } as unknown as Sweep;
      const submitted = (trialId: string, job: string) => ({ seq: 1, ts: 0, action: 'submitted', trial: trialId, job, resources: { nodes: 1 } });
      applySlurmDecisions(deps, sweep, [submitted('01J0000000000000000000000A', '77'), submitted('01J0000000000000000000000B', '78')], { nodes: 1 });
      expect(runs.get('01J0000000000000000000000A')).toMatchObject({ status: 'PENDING', job: { jobId: '77' } });
      expect(runs.get('01J0000000000000000000000B')).toMatchObject({ status: 'CANCELLING', job: { jobId: '78' } });
    } finally {
      engine.close();
    }
  });
});
