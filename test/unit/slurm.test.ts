// The pure parts of SLURM support: batch scripts, sbatch's answers, squeue lines and what a job's
// state means for its run, the probe's partitions, and torchrun across nodes.
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/shared/domain/run';
import { slurmTimeSeconds } from '../../src/shared/domain/slurm';
import { getRecipe } from '../../src/main/recipes';
import { batchScript, effectiveResources, parseSbatchId, sbatchOptions, submitRefused } from '../../src/main/slurm/sbatch';
import { decideFromState, decideGone, parseSacct, parseSqueue } from '../../src/main/slurm/queue';
import { gpusInGres, parseClusterProbe, parsePartitions } from '../../src/main/slurm/probe';

const SEP = '\u001f';
const run = (over: Partial<Run> = {}): Run => ({
  id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  name: 'brave-otter-1',
  projectId: '01JABCDEFGHJKMNPQRSTVWXYZ1',
  hostId: '01JABCDEFGHJKMNPQRSTVWXYZ2',
  hostName: 'cluster',
  recipe: 'demo-lora-stdlib',
  kind: 'train',
  params: {},
  status: 'PENDING',
  disconnected: false,
  remoteDir: '.tunebench/runs/x',
  exitCode: null,
  createdAt: 0,
  endedAt: null,
  logLines: 0,
  metricPoints: 0,
  malformedLines: 0,
  lastError: null,
  job: { jobId: '42', submittedAt: null, state: 'PENDING', reason: null, attempt: 0, nodes: null, resources: { nodes: 1, time: '10' } },
  ...over,
});

describe('batch script', () => {
  it('asks for what the run needs, with the signal, requeue and append mode, and runs the supervisor', () => {
    const r = effectiveResources({ nodes: 2, gpusPerNode: 8, time: '4:00:00' }, { partition: 'gpu', account: 'lab', time: '1:00:00', sbatchLines: ['--constraint=a100'] });
    expect(r).toEqual({ nodes: 2, gpusPerNode: 8, time: '4:00:00', partition: 'gpu', account: 'lab' });
    const script = batchScript({ jobName: 'tb-X', resources: r, settings: { sbatchLines: ['--constraint=a100'], setup: 'module load slurm' }, python: 'python3', output: '.tb/slurm-%j.out' });
    const options = script
      .split('\n')
      .filter((l) => l.startsWith('#SBATCH '))
      .map((l) => l.slice(8));
    expect(options).toEqual([
      '--job-name=tb-X',
      '--nodes=2',
      '--ntasks-per-node=1',
      '--gres=gpu:8',
      '--time=4:00:00',
      '--partition=gpu',
      '--account=lab',
      '--signal=B:USR2@120',
      '--requeue',
      '--open-mode=append',
      '--output=.tb/slurm-%j.out',
      '--constraint=a100',
    ]);
    expect(script).toContain('module load slurm\nrm -f .tb/supervisor.pid\npython3 .tb/supervisor.py .');
    // Signals go to the supervisor's own pid, not to $! (a subshell when the Python setting is a command line).
    expect(script).toContain("trap 'kill -USR2 $(target) 2>/dev/null' USR2");
    expect(script).toContain('target() { cat .tb/supervisor.pid 2>/dev/null || echo "$child"; }');
    // #SBATCH lines must come before the first command, or sbatch ignores them.
    expect(script.indexOf('module load')).toBeGreaterThan(script.lastIndexOf('#SBATCH'));
  });

  it('an array runs element i in the directory on line i+1, with the throttle', () => {
    const o = sbatchOptions({
      jobName: 'tb-array-A',
      resources: { nodes: 1 },
      settings: { signalSeconds: 60 },
      python: 'python3',
      output: 'slurm-%A_%a.out',
      array: { count: 4, throttle: 2, dirsFile: 'runs.txt' },
    });
    expect(o).toContain('--array=0-3%2');
    expect(o).toContain('--signal=B:USR2@60');
    const script = batchScript({ jobName: 'tb-array-A', resources: { nodes: 1 }, settings: {}, python: 'python3', output: 'x', array: { count: 4, dirsFile: 'runs.txt' } });
    expect(script).toContain('sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" \'runs.txt\'');
  });

  it("reads sbatch --parsable's id, with a cluster and after warnings", () => {
    expect(parseSbatchId('1234\n')).toBe('1234');
    expect(parseSbatchId('1234;cluster-a\n')).toBe('1234');
    expect(parseSbatchId('sbatch: warning: something\n77\n')).toBe('77');
    expect(() => parseSbatchId('Submitted batch job 5\n')).toThrow(/without a job id/);
  });

  it("turns SLURM's refusals into what to change", () => {
    const time = submitRefused('sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)\n');
    expect(time.code).toBe('SLURM_SUBMIT_REFUSED');
    expect(time.message).toMatch(/^SLURM refused the job: Requested time limit is invalid .* Ask for less time/);
    expect(submitRefused('sbatch: error: Batch job submission failed: Node count specification invalid').message).toMatch(/fewer nodes/);
    expect(submitRefused('sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid partition name specified').message).toMatch(
      /invalid partition specified: nope .*Choose one of the cluster's partitions/,
    );
  });

  it('reads every SLURM time format', () => {
    expect(slurmTimeSeconds('90')).toBe(5400);
    expect(slurmTimeSeconds('4:00:00')).toBe(14_400);
    expect(slurmTimeSeconds('10:30')).toBe(630);
    expect(slurmTimeSeconds('1-12')).toBe(129_600);
    expect(slurmTimeSeconds('2-00:30:00')).toBe(174_600);
  });
});

describe('queue', () => {
  it('reads squeue lines, array elements included, and skips noise', () => {
    const out = [
      ['12', 'PENDING', 'Priority', '2026-11-29T05:00:00', '', 'tb-A'].join(SEP),
      ['13_2', 'RUNNING', 'None', '2026-11-29T05:00:01', 'n[1-2]', 'tb-array-B'].join(SEP),
      'squeue: error: something odd',
    ].join('\n');
    const jobs = parseSqueue(out);
    expect(jobs.size).toBe(2);
    expect(jobs.get('12')).toMatchObject({ state: 'PENDING', reason: 'Priority', name: 'tb-A' });
    expect(jobs.get('13_2')).toMatchObject({ state: 'RUNNING', reason: '', nodes: 'n[1-2]' });
    expect(parseSacct('42|CANCELLED by 0|0:15\n', '42')).toEqual({ state: 'CANCELLED', exitCode: '0:15' });
  });

  it('pending before the first start is PENDING; pending after it ran is REQUEUED, never failed', () => {
    expect(decideFromState(run(), 'PENDING', 'Resources', '10')?.status).toBe('PENDING');
    expect(decideFromState(run({ status: 'RUNNING' }), 'PENDING', 'BeginTime', '10')?.status).toBe('REQUEUED');
    expect(decideFromState(run({ status: 'REQUEUED' }), 'PENDING', 'BeginTime', '10')?.status).toBe('REQUEUED');
    expect(decideFromState(run({ status: 'RUNNING' }), 'PREEMPTED', '', '10')?.status).toBe('PREEMPTED');
    expect(decideFromState(run({ status: 'RUNNING' }), 'REQUEUE_HOLD', '', '10')?.status).toBe('REQUEUED');
    // A job the supervisor runs: its files and heartbeat decide.
    expect(decideFromState(run({ status: 'RUNNING' }), 'RUNNING', '', '10')).toBeNull();
    expect(decideFromState(run({ status: 'RUNNING' }), 'COMPLETED', '', '10')).toBeNull();
    expect(decideFromState(run({ status: 'RUNNING' }), 'SOME_NEW_STATE', '', '10')).toBeNull();
  });

  it('ends a run only for what SLURM says happened, with the reason', () => {
    expect(decideFromState(run({ status: 'RUNNING' }), 'TIMEOUT', '', '10')).toMatchObject({ status: 'FAILED', why: expect.stringMatching(/time limit \(10\)/) });
    expect(decideFromState(run({ status: 'RUNNING' }), 'OUT_OF_MEMORY', '', undefined)?.status).toBe('FAILED');
    expect(decideFromState(run({ status: 'RUNNING' }), 'CANCELLED', '', undefined)).toMatchObject({ status: 'CANCELLED', why: expect.stringMatching(/outside Tunebench/) });
    expect(decideFromState(run({ status: 'CANCELLING' }), 'CANCELLED', '', undefined)?.why).not.toMatch(/outside/);
    const gone = decideGone(run({ status: 'RUNNING' }), false);
    expect(gone.status).toBe('LOST');
    expect(gone.why).toMatch(/while the run was going.*Accounting \(sacct\) is off/);
  });
});

describe('probe', () => {
  it('reads partitions with limits and GPUs, one line per node configuration', () => {
    const text = [
      ['low*', 'up', '1:00:00', '1-infinite', '2', 'n[1-2]', '(null)', '1', '1000'].join(SEP),
      ['gpu', 'up', '2-00:00:00', '1-4', '2', 'g[1-2]', 'gpu:a100:8(S:0-1)', '64', '512000'].join(SEP),
      ['gpu', 'up', '2-00:00:00', '1-4', '1', 'g3', 'gpu:v100:4', '32', '256000'].join(SEP),
      ['tiny', 'down', 'infinite', '1-1', '2', 'n[1-2]', '(null)', '1', '1000'].join(SEP),
    ].join('\n');
    const p = parsePartitions(text);
    expect(p.map((x) => x.name)).toEqual(['low', 'gpu', 'tiny']);
    expect(p[0]).toMatchObject({ isDefault: true, up: true, maxTimeSeconds: 3600, maxNodes: null, nodes: 2, gpusPerNode: 0, cpusPerNode: 1, memoryMiBPerNode: 1000 });
    expect(p[1]).toMatchObject({ maxTimeSeconds: 172_800, maxNodes: 4, nodes: 3, gpusPerNode: 8 });
    expect(p[2]).toMatchObject({ up: false, maxTimeSeconds: null, maxNodes: 1 });
    expect(gpusInGres('gpu:a100:4,gpu:v100:2')).toBe(6);
    expect(gpusInGres('gpu:2')).toBe(2);
  });

  it('says whether the run root is shared, and why not when it cannot tell', () => {
    const base = '@@tb:version\nslurm 22.05.8\n@@tb:partitions\n@@tb:jobs\n@@tb:accounting\nsacct: error: Slurm accounting storage is disabled\nexit=1\n@@tb:shared\n';
    expect(parseClusterProbe(base + 'seen=abc\n', 'abc')).toMatchObject({ version: '22.05.8', accounting: false, sharedRunRoot: true });
    expect(parseClusterProbe(base + 'seen=cat: x: No such file\n', 'abc').sharedRunRoot).toBe(false);
    const pending = parseClusterProbe(base + 'state=PENDING Resources\n', 'abc');
    expect(pending.sharedRunRoot).toBeNull();
    expect(pending.sharedRunRootDetail).toMatch(/did not run in time \(PENDING Resources\)/);
    expect(pending.accountingDetail).toMatch(/Accounting is off/);
  });

  it('says whether a job may submit jobs (sweeps need it), and what sbatch said when not', () => {
    const base = '@@tb:version\nslurm 22.05.8\n@@tb:partitions\n@@tb:jobs\n@@tb:accounting\nexit=0\n@@tb:shared\nseen=abc\n';
    const yes = parseClusterProbe(base + 'submit=sbatch: Job 12 to start at 2026-11-29T10:00:00 using 1 processors on nodes n1 in partition low exit=0 \n', 'abc');
    expect(yes).toMatchObject({ computeSubmit: true, computeSubmitDetail: expect.stringMatching(/may submit jobs/) });
    const denied = parseClusterProbe(base + 'submit=sbatch: error: Batch job submission failed: Access/permission denied exit=1 \n', 'abc');
    expect(denied.computeSubmit).toBe(false);
    expect(denied.computeSubmitDetail).toBe(
      "A job on a compute node cannot submit jobs (Batch job submission failed: Access/permission denied): a sweep's scheduler is a job that submits its trials, so sweeps cannot run here.",
    );
    const missing = parseClusterProbe(base + 'submit=/var/spool/slurmd/job12/slurm_script: 1: sbatch: not found exit=127 \n', 'abc');
    expect(missing).toMatchObject({ computeSubmit: false, computeSubmitDetail: expect.stringMatching(/cannot submit jobs \(.*not found\)/) });
    // A check job that did not run in time, and a probe from before this check: not known.
    expect(parseClusterProbe(base.replace('seen=abc\n', 'state=PENDING Resources\n'), 'abc')).toMatchObject({ computeSubmit: null, computeSubmitDetail: 'Not checked: the check job did not run.' });
    expect(parseClusterProbe(base, 'abc').computeSubmit).toBeNull();
  });
});

describe('torchrun across nodes', () => {
  it('hf-sft and demo-lora-torch use the c10d rendezvous at the head on several nodes, torchrun --standalone on one', () => {
    const hf = getRecipe('hf-sft');
    const params = hf.params.parse({ base_model: 'm', dataset: 'd.jsonl', gpus: '0,1' });
    expect(String(hf.render(params, { python: 'python3', nodes: 2 }).command)).toMatch(
      /^python3 -m torch\.distributed\.run --nnodes "\$TB_NNODES" --nproc_per_node 2 --rdzv_backend c10d --rdzv_endpoint "\$TB_RDZV_ENDPOINT"/,
    );
    expect(String(hf.render(params, { python: 'python3' }).command)).toMatch(/^python3 -m torch\.distributed\.run --standalone --nproc_per_node 2 /);
    const demo = getRecipe('demo-lora-torch');
    expect(String(demo.render(demo.params.parse({}), { python: 'python3', nodes: 2 }).command)).toMatch(/--nproc_per_node 1 --rdzv_backend c10d/);
    expect(String(demo.render(demo.params.parse({}), { python: 'python3' }).command)).toMatch(/^python3 'train\.py'/);
    const tt = getRecipe('torchtune');
    expect(String(tt.render(tt.params.parse({ config: 'c', recipe: 'full_finetune_distributed', gpus: '0,1,2,3' }), { python: '/opt/venv/bin/python3', nodes: 4 }).command)).toMatch(
      /^\/opt\/venv\/bin\/tune run --nnodes "\$TB_NNODES" --nproc_per_node 4 --rdzv_backend c10d .* 'full_finetune_distributed'/,
    );
  });
});

describe('queue reads', () => {
  const host = { id: 'h', name: 'hpc', slurm: {} } as unknown as import('../../src/shared/domain/host').Host;
  const line = (state: string) => ['7', state, 'None', 't', 'n1', 'tb-x'].join(SEP) + '\n';

  it('one squeue for any number of concurrent readers; the interval doubles while nothing changes, and a change or a submit brings it back', async () => {
    const { ClusterMonitor } = await import('../../src/main/slurm/cluster-monitor');
    let state = 'PENDING';
    let execs = 0;
    const access = {
      exec: async () => {
        execs++;
        await new Promise((r) => setTimeout(r, 5));
        return { code: 0, stdout: line(state), stderr: '' };
      },
    } as unknown as import('../../src/main/hosts/host-access').HostAccess;
    const m = new ClusterMonitor({ minIntervalMs: 20, maxIntervalMs: 80 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => m.queue(host, access)));
    expect(execs).toBe(1);
    expect(answers[199]!.get('7')?.state).toBe('PENDING');
    expect(m.intervalMs('h')).toBe(20);
    const wait = async () => new Promise((r) => setTimeout(r, m.intervalMs('h') + 5));
    await wait();
    await m.queue(host, access);
    expect(m.intervalMs('h')).toBe(40); // same answer: back off
    await wait();
    await m.queue(host, access);
    expect(m.intervalMs('h')).toBe(80);
    await wait();
    await m.queue(host, access);
    expect(m.intervalMs('h')).toBe(80); // capped
    await m.queue(host, access); // within the interval: no new read
    expect(execs).toBe(4);
    state = 'RUNNING';
    await wait();
    await m.queue(host, access);
    expect(m.intervalMs('h')).toBe(20); // a change: read often again
    m.nudge('h');
    await m.queue(host, access);
    expect(execs).toBe(6); // a submit reads at once
  });

  it('reads close together after a submit do not back the interval off to a minute', async () => {
    const { ClusterMonitor } = await import('../../src/main/slurm/cluster-monitor');
    const access = { exec: async () => ({ code: 0, stdout: line('PENDING'), stderr: '' }) } as unknown as import('../../src/main/hosts/host-access').HostAccess;
    const m = new ClusterMonitor(); // the app's 2 s .. 60 s
    m.nudge('h');
    for (let i = 0; i < 8; i++) {
      await m.queue(host, access);
      await new Promise((r) => setTimeout(r, 260));
    }
    expect(m.intervalMs('h')).toBe(2000);
  });
});

describe('a job missing from the queue', () => {
  const host = { id: 'h2', name: 'hpc', slurm: {} } as unknown as import('../../src/shared/domain/host').Host;
  it('is gone only after two reads that started after the last submit, never from a read under way during the submit', async () => {
    const { ClusterMonitor } = await import('../../src/main/slurm/cluster-monitor');
    let release: () => void = () => {};
    const access = {
      exec: () =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          release = () => resolve({ code: 0, stdout: '', stderr: '' });
        }),
    } as unknown as import('../../src/main/hosts/host-access').HostAccess;
    const m = new ClusterMonitor({ minIntervalMs: 1, maxIntervalMs: 4 });
    const slow = m.queue(host, access); // a read under way...
    m.nudge('h2'); // ...while sbatch answers with a new job
    release();
    await slow;
    expect(m.gone('h2', '99')).toBe(false); // that read could not have seen it
    await new Promise((r) => setTimeout(r, 5));
    const next = m.queue(host, access);
    release();
    await next;
    expect(m.gone('h2', '99')).toBe(false); // missing once
    await new Promise((r) => setTimeout(r, 5));
    const third = m.queue(host, access);
    release();
    await third;
    expect(m.gone('h2', '99')).toBe(true); // missing twice: gone
  });
});

describe('a cancel of a job read as waiting', () => {
  const host = { id: 'h3', name: 'hpc', slurm: {} } as unknown as import('../../src/shared/domain/host').Host;
  const answering = (r: { code: number; stdout: string; stderr: string }) => ({ exec: async () => r }) as unknown as import('../../src/main/hosts/host-access').HostAccess;
  it('is "cancelled while waiting" only when the queue then says CANCELLED; a job started, or one the queue no longer knows, is not', async () => {
    const { cancelIfWaiting } = await import('../../src/main/slurm/cluster');
    expect(await cancelIfWaiting(answering({ code: 0, stdout: 'CANCELLED\n', stderr: '' }), host, '7')).toBe(true);
    expect(await cancelIfWaiting(answering({ code: 0, stdout: 'RUNNING\n', stderr: '' }), host, '7')).toBe(false);
    expect(await cancelIfWaiting(answering({ code: 0, stdout: 'COMPLETED\n', stderr: '' }), host, '7')).toBe(false);
    expect(await cancelIfWaiting(answering({ code: 0, stdout: '', stderr: '' }), host, '7')).toBe(false);
    expect(await cancelIfWaiting(answering({ code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified' }), host, '7')).toBe(false);
  });

  it('says so with a code when the queue cannot be read, instead of taking silence for an ending', async () => {
    const { cancelIfWaiting } = await import('../../src/main/slurm/cluster');
    await expect(cancelIfWaiting(answering({ code: 1, stdout: '', stderr: 'slurm_load_jobs error: Unable to contact slurm controller' }), host, '7')).rejects.toMatchObject({
      code: 'REMOTE_COMMAND_FAILED',
      message: expect.stringMatching(/squeue could not say whether job 7 still waits on hpc.*Unable to contact slurm controller.*cancel again\./),
    });
  });
});
