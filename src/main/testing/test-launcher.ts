// Starting a test run: resolve the candidate and the baseline to models the runner can load where
// their files are, then launch the runner as a run of kind 'test' through the usual protocol
// (claimed directory, supervisor, streamed files), so cuts, restarts and cancel work as for training.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Host } from '../../shared/domain/host';
import type { Project } from '../../shared/domain/project';
import type { Run } from '../../shared/domain/run';
import type { StartTestInput, TestRunSummary } from '../../shared/domain/testing';
import { FINAL_STATUSES } from '../../shared/domain/run';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import { oneAtATime } from '../one-at-a-time';
import { privately, shQuote, type HostAccess } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import type { ProjectStore } from '../projects/project-store';
import { commandLine } from '../recipes/shell';
import { claimRunDir, claimStart, startSupervisor, supervisorFiles, uploadRunFiles, type RunFile } from '../runs/launcher';
import type { RunStore } from '../runs/run-store';
import { PACKAGE_ROOT } from '../version';
import { slurmCommand } from '../slurm/cluster';
import type { SuiteStore } from './suite-store';
import type { PlannedModel, TestStore } from './test-store';

export const RUNNER_VERSION = 'tunebench-eval/1';
const RUNNER = () => path.join(PACKAGE_ROOT, 'resources', 'testing', 'evaluate.py');

export interface TestDeps {
  projects: ProjectStore;
  hosts: HostService;
  runs: RunStore;
  suites: SuiteStore;
  tests: TestStore;
  onChanged(runId: string): void;
}

/** RUN or RUN:CHECKPOINT (a checkpoint is a path inside the run directory). */
export function parseModelRef(ref: string): { runId: string; checkpoint: string | null } {
  const i = ref.indexOf(':');
  const runId = (i < 0 ? ref : ref.slice(0, i)).trim();
  const checkpoint =
    i < 0
      ? null
      : ref
          .slice(i + 1)
          .trim()
          .replace(/\/+$/, '') || null;
  if (checkpoint !== null && (checkpoint.startsWith('/') || checkpoint.split('/').includes('..') || /[\u0000-\u001f]/.test(checkpoint)))
    throw new EngineError('VALIDATION_FAILED', `"${checkpoint.slice(0, 100)}" is not a checkpoint: give a path inside the run directory, e.g. checkpoints/step-400.`);
  return { runId, checkpoint };
}

const DEMO_TORCH = 'demo-lora-torch';
const HF_RECIPES = ['hf-sft', 'axolotl', 'torchtune', 'custom'];

function trainedModel(run: Run, checkpoint: string | null, role: PlannedModel['role']): PlannedModel {
  const where = checkpoint ? `${run.id}:${checkpoint}` : run.id;
  if (run.kind !== 'train') throw new EngineError('MODEL_NOT_TESTABLE', `Run ${run.id} is a test run; give the training run to test.`);
  if (run.status !== 'SUCCEEDED') throw new EngineError('MODEL_NOT_TESTABLE', `Run ${run.id} is ${run.status}; only a run that SUCCEEDED has a model to test.`);
  if (run.recipe === DEMO_TORCH)
    return { role, label: `run ${where} (${run.recipe})`, runId: run.id, checkpoint, loader: 'demo-torch', dir: run.remoteDir, weights: checkpoint ?? 'merged', model: null };
  if (HF_RECIPES.includes(run.recipe))
    return { role, label: `run ${where} (${run.recipe})`, runId: run.id, checkpoint, loader: 'hf', dir: `${run.remoteDir}/${checkpoint ?? 'outputs'}`, weights: null, model: null };
  throw new EngineError(
    'MODEL_NOT_TESTABLE',
    `The test runner cannot load models of the ${run.recipe} recipe (its bigram tables are no causal LM). Test a run of demo-lora-torch, hf-sft, axolotl, torchtune or custom (Hugging Face files in outputs/).`,
  );
}

/** The base model the candidate was trained from: demo runs keep theirs; HF runs name it. */
function baseModel(project: Project, candidate: Run): PlannedModel {
  if (candidate.recipe === DEMO_TORCH)
    return {
      role: 'baseline',
      label: `base model (the pretrained weights of run ${candidate.id})`,
      runId: candidate.id,
      checkpoint: null,
      loader: 'demo-torch',
      dir: candidate.remoteDir,
      weights: 'base',
      model: null,
    };
  const name = String(candidate.params.base_model ?? candidate.params.model ?? project.baseModel ?? '').trim();
  if (!name)
    throw new EngineError(
      'MODEL_NOT_TESTABLE',
      `Neither run ${candidate.id} nor project ${project.name} names a base model. Set one with \`tunebench project describe ${project.name} --base-model ID\`, or give --baseline RUN.`,
    );
  return { role: 'baseline', label: `base model ${name}`, runId: null, checkpoint: null, loader: 'hf', dir: '', weights: null, model: name };
}

async function readRunJson(access: HostAccess, run: Run): Promise<Record<string, unknown>> {
  const r = await access.exec(`cat ${shQuote(`${run.remoteDir}/run.json`)}`, { timeoutMs: 30_000 });
  if (r.code !== 0)
    throw new EngineError(
      'MODEL_NOT_TESTABLE',
      `Cannot read run ${run.id}'s run.json on ${run.hostName} (${r.stderr.trim().slice(-200) || `exit ${r.code}`}); its files must be on the host that tests it.`,
    );
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new EngineError('MODEL_NOT_TESTABLE', `Run ${run.id}'s run.json on ${run.hostName} is not JSON; the run directory was changed by hand. Test another run.`);
  }
}

/** What the report shows of the candidate's making: recipe, parameters, code, data, base model, host. */
function lineage(run: Run, runJson: Record<string, unknown>, project: Project): Record<string, unknown> {
  return {
    run: run.id,
    recipe: run.recipe,
    params: run.params,
    code: runJson.code ?? null,
    dataset: runJson.dataset ?? null,
    baseModel: project.baseModel || (run.params.base_model as string | undefined) || null,
    host: run.hostName,
    trainedAt: new Date(run.createdAt).toISOString(),
  };
}

export async function startTest(deps: TestDeps, input: z.output<typeof StartTestInput>): Promise<TestRunSummary> {
  const project = deps.projects.get(input.project);
  const policy = deps.tests.projectPolicy(project.id);
  const suite = deps.suites.resolve(project.id, input.suite, policy.pinnedSuite);
  const spec = deps.suites.spec(suite.id);
  const cand = parseModelRef(input.candidate);
  const candidateRun = deps.runs.get(cand.runId);
  if (candidateRun.projectId !== project.id) throw new EngineError('MODEL_NOT_TESTABLE', `Run ${candidateRun.id} belongs to another project, not ${project.name}.`);
  const candidate = trainedModel(candidateRun, cand.checkpoint, 'candidate');

  let baselineKind: 'production' | 'base' | 'run' = 'base';
  let baseline: PlannedModel;
  const wanted = input.baseline ?? 'production';
  if (wanted === 'production' && project.production) {
    baselineKind = 'production';
    baseline = { ...trainedModel(deps.runs.get(project.production.runId), project.production.checkpoint, 'baseline') };
    baseline.label = `production: ${baseline.label}`;
  } else if (wanted === 'production' || wanted === 'base') {
    baseline = baseModel(project, candidateRun);
  } else {
    baselineKind = 'run';
    const ref = parseModelRef(wanted);
    baseline = trainedModel(deps.runs.get(ref.runId), ref.checkpoint, 'baseline');
  }

  const host: Host = input.host ? deps.hosts.get(input.host) : deps.hosts.get(candidateRun.hostId);
  for (const m of [candidate, baseline]) {
    const run = m.runId ? deps.runs.get(m.runId) : null;
    if (run && run.hostId !== host.id)
      throw new EngineError(
        'MODEL_NOT_TESTABLE',
        `The ${m.role}'s files are on host ${run.hostName}, and the test would run on ${host.name}. Both models are evaluated where their files are: test on ${run.hostName}, or give a ${m.role} trained there.`,
      );
  }

  const access = await deps.hosts.access(host, { now: true });
  const runJson = await readRunJson(access, candidateRun);
  const id = newUlid();
  const root = host.runRoot.replace(/\/+$/, '');
  const remoteDir = `${root}/runs/${id}`;
  const params = { suite: `${suite.name}@${suite.version}`, candidate: input.candidate, baseline: wanted };
  deps.runs.insert({ id, projectId: project.id, hostId: host.id, recipe: 'test', params, remoteDir, status: 'QUEUED', kind: 'test' });
  deps.tests.create({
    runId: id,
    suiteId: suite.id,
    candidate: cand,
    baseline: { kind: baselineKind, runId: baseline.runId, checkpoint: baseline.checkpoint },
    models: [{ ...candidate, lineage: lineage(candidateRun, runJson, project) }, baseline],
    policy,
  });
  deps.onChanged(id);
  try {
    await claimRunDir(access, root, remoteDir);
    const testSpec = {
      runner: 1,
      seed: 0,
      batchSize: 8,
      caseTimeoutSeconds: 120,
      models: [candidate, baseline].map((m) => ({ role: m.role, loader: m.loader, dir: m.dir, checkpoint: m.checkpoint, weights: m.weights, model: m.model })),
      cases: spec.cases,
      judge: spec.judge,
      harness: spec.harness,
    };
    const runFile = {
      id,
      kind: 'test',
      project: { id: project.id, name: project.name, baseModel: project.baseModel },
      recipe: 'test',
      params,
      command: commandLine(host.python, ['eval/evaluate.py', 'test.json']),
      env: { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', TOKENIZERS_PARALLELISM: 'false' },
      cancelGraceSeconds: 15,
      createdAt: new Date().toISOString(),
    };
    // Private like a training run's files: the cases (and the judge's prompts) are the team's own.
    const files: RunFile[] = [
      ...supervisorFiles(),
      ['eval/evaluate.py', fs.readFileSync(RUNNER()), 0o600],
      ['test.json', JSON.stringify(testSpec), 0o400],
      ['run.json', JSON.stringify(runFile, null, 2) + '\n', 0o400],
    ];
    await uploadRunFiles(access, remoteDir, files);
    const start = await claimStart(deps.runs, access, id, remoteDir);
    deps.onChanged(id);
    if (start) await startSupervisor(deps.runs, access, host, { runId: id, remoteDir });
  } catch (err) {
    deps.runs.setStatusIf(id, ['QUEUED', 'STARTING'], 'FAILED', { lastError: `Starting the test failed: ${err instanceof Error ? err.message : String(err)}` });
    deps.onChanged(id);
    throw err;
  }
  return deps.tests.summary(id);
}

/**
 * Starts a stopped test run's runner again in the same directory. It skips every case already in
 * cases.jsonl, and the app keeps reading that file from where it was: nothing is repeated.
 */
export async function resumeTest(deps: TestDeps, id: string): Promise<TestRunSummary> {
  const summary = deps.tests.summary(id);
  const run = deps.runs.get(summary.id);
  if (!FINAL_STATUSES.includes(run.status))
    throw new EngineError('TEST_NOT_RESUMABLE', `Test run ${run.id} is ${run.status}; only a stopped one (cancelled, failed, lost) can be resumed. Cancel it first, or wait for it.`);
  if (run.status === 'SUCCEEDED' && summary.progress.done >= summary.progress.total)
    throw new EngineError('TEST_NOT_RESUMABLE', `Test run ${run.id} finished with every case answered; there is nothing to resume.`);
  await oneAtATime(
    resuming,
    run.id,
    () => new EngineError('TEST_NOT_RESUMABLE', `Test run ${run.id} is being resumed already. Wait for that resume to end; \`tunebench test show ${run.id}\` says how it went.`),
    () => resumeStopped(deps, run),
  );
  return deps.tests.summary(run.id);
}

/** The resume command's exit status when a runner of the test run still runs (it is then followed again, not started). */
const STILL_RUNNING = 75;

/** SLURM's states of a job that has ended (squeue may still list one for a moment). */
const ENDED_JOB_STATES = ['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE'];

/**
 * A shell test, run in the run's directory, that succeeds while a runner of the run still runs: its
 * process on this host (pid and start time, .tb/probe_run.py), or on a SLURM cluster its job still in the
 * queue (its process is on a compute node, out of the login node's sight).
 */
export function runnerRunsTest(host: Host, jobId: string | null): string {
  const here = `${host.python} .tb/probe_run.py . | grep -q '"alive": true'`;
  if (!host.slurm || !jobId) return here;
  // In a subshell: the cluster's setup lines (module loads, a cd) must not change the removal's directory.
  const queued = `(${slurmCommand(host.slurm, `squeue -h -j ${shQuote(jobId)} -o %T 2>/dev/null | grep -qvE '^(${ENDED_JOB_STATES.join('|')})$'`)})`;
  return `{ ${here}; } || ${queued}`;
}

/** Test runs being resumed by this engine now: a second click must not start a second supervisor. */
const resuming = new Set<string>();

async function resumeStopped(deps: TestDeps, run: Run): Promise<void> {
  const host = deps.hosts.get(run.hostId);
  const access = await deps.hosts.access(host, { now: true });
  // Never a second runner: when one still runs (a run read as lost while it ran on, or one another app
  // resumed a moment ago), its files stay and it is followed again instead. Asked in the same command as
  // the removal: a runner another app starts after that has written none of these files yet. A fresh
  // heartbeat: until the new supervisor writes its pid, the run must not look LOST.
  const r = await access.exec(
    privately(
      `cd ${shQuote(run.remoteDir)} && if ${runnerRunsTest(host, deps.runs.get(run.id).job?.jobId ?? null)}; then exit ${STILL_RUNNING}; fi && rm -f .tb/exit_code .tb/cancel .tb/status.json .tb/pid && touch .tb/heartbeat`,
    ),
    { timeoutMs: 30_000 },
  );
  if (r.code !== 0 && r.code !== STILL_RUNNING) throw new EngineError('REMOTE_COMMAND_FAILED', `Preparing the test run to resume failed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
  // From the status it was resumed from: another engine resuming it at the same moment starts it, not both.
  if (!deps.runs.restart(run.id, run.status))
    throw new EngineError('TEST_NOT_RESUMABLE', `Test run ${run.id} changed while it was being resumed (resumed by another app?): \`tunebench test show ${run.id}\` says what it is doing now.`);
  deps.onChanged(run.id);
  if (r.code === STILL_RUNNING) return; // followed again from STARTING: the next read finds it running
  await startSupervisor(deps.runs, access, host, { runId: run.id, remoteDir: run.remoteDir });
}
