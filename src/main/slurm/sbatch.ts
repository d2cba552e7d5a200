// The batch script a run is submitted with, and reading what sbatch answers. Pure: tested without a cluster.
//
// The job's body is the run's own supervisor, so a run on a cluster streams, beats and cancels exactly as
// on a workstation. SLURM adds three things: USR2 some minutes before the time limit (and at preemption),
// after which the supervisor has the trainer checkpoint and requeues the job; the requeue itself; and
// append mode, so a requeued attempt continues the same output files.
import { DEFAULT_SIGNAL_SECONDS, type RunResources, type SlurmSettings } from '../../shared/domain/slurm';
import { EngineError } from '../errors';
import { shQuote } from '../hosts/host-access';

/** The resources a run gets: the launch's own, then the cluster's defaults. */
export function effectiveResources(given: RunResources | undefined, settings: SlurmSettings): RunResources {
  const r: RunResources = { nodes: given?.nodes ?? 1 };
  const pick = <K extends keyof RunResources>(k: K, v: RunResources[K] | undefined) => {
    if (v !== undefined) r[k] = v;
  };
  pick('gpusPerNode', given?.gpusPerNode);
  pick('cpusPerTask', given?.cpusPerTask);
  pick('mem', given?.mem);
  pick('time', given?.time ?? settings.time);
  pick('partition', given?.partition ?? settings.partition);
  pick('account', given?.account ?? settings.account);
  pick('qos', given?.qos ?? settings.qos);
  return r;
}

export interface BatchScript {
  jobName: string;
  resources: RunResources;
  settings: SlurmSettings;
  /** The host's Python command, which runs the supervisor. */
  python: string;
  /** Where SLURM writes the job's own output (relative to the submit directory). */
  output: string;
  /**
   * How the job finds its run directory: one run (the submit directory is the run directory) or a job
   * array whose element i runs the directory on line i+1 of this file (relative to the submit directory).
   */
  array?: { count: number; throttle?: number; dirsFile: string };
}

/** The `#SBATCH` options, in order. GPUs as `--gres=gpu:N`, which every SLURM since 2.x reads (--gpus-per-node needs 19.05). */
export function sbatchOptions(s: BatchScript): string[] {
  const r = s.resources;
  const o = [`--job-name=${s.jobName}`, `--nodes=${r.nodes ?? 1}`, '--ntasks-per-node=1'];
  if (r.gpusPerNode) o.push(`--gres=gpu:${r.gpusPerNode}`);
  if (r.cpusPerTask) o.push(`--cpus-per-task=${r.cpusPerTask}`);
  if (r.mem) o.push(`--mem=${r.mem}`);
  if (r.time) o.push(`--time=${r.time}`);
  if (r.partition) o.push(`--partition=${r.partition}`);
  if (r.account) o.push(`--account=${r.account}`);
  if (r.qos) o.push(`--qos=${r.qos}`);
  if (s.array) o.push(`--array=0-${s.array.count - 1}${s.array.throttle ? `%${s.array.throttle}` : ''}`);
  o.push(`--signal=B:USR2@${s.settings.signalSeconds ?? DEFAULT_SIGNAL_SECONDS}`, '--requeue', '--open-mode=append', `--output=${s.output}`);
  for (const line of s.settings.sbatchLines ?? []) o.push(line);
  return o;
}

export function batchScript(s: BatchScript): string {
  const lines = ['#!/bin/bash', '# Submitted by Tunebench: the body is the run supervisor, which streams, checkpoints and requeues.'];
  for (const option of sbatchOptions(s)) lines.push(`#SBATCH ${option}`);
  if (s.settings.setup) lines.push(s.settings.setup);
  if (s.array) {
    lines.push(`run_dir=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${shQuote(s.array.dirsFile)})`);
    lines.push('[ -n "$run_dir" ] || { echo "tunebench: no run directory for array element $SLURM_ARRAY_TASK_ID" >&2; exit 2; }');
    lines.push('cd "$run_dir" || exit 2');
  }
  // The supervisor runs in the background so this shell can pass SLURM's signals on to it (B: signals
  // reach only the batch shell); the host's Python may be a command line, so no exec.
  lines.push(
    'rm -f .tb/supervisor.pid', // a previous attempt's: signals must not reach a pid that is no longer ours
    `${s.python} .tb/supervisor.py . </dev/null >>.tb/supervisor.log 2>&1 &`,
    'child=$!',
    // The supervisor's own pid (it writes .tb/supervisor.pid): with a Python setting that is a command
    // line (`source venv/bin/activate && python`), $! is a subshell that would die of USR2 unheard.
    'target() { cat .tb/supervisor.pid 2>/dev/null || echo "$child"; }',
    "trap 'kill -USR2 $(target) 2>/dev/null' USR2",
    "trap 'kill -TERM $(target) 2>/dev/null' TERM",
    'code=0',
    // wait returns early when a trapped signal arrives: wait again until the supervisor is gone.
    'while kill -0 "$child" 2>/dev/null; do wait "$child"; code=$?; done',
    'exit $code',
  );
  return lines.join('\n') + '\n';
}

/** `sbatch --parsable` prints `id` or `id;cluster`, possibly after warnings on other lines. */
export function parseSbatchId(stdout: string): string {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+)(;[\w.-]+)?$/.exec(lines[i]!);
    if (m) return m[1]!;
  }
  throw new EngineError('SLURM_SUBMIT_FAILED', `sbatch answered without a job id: ${stdout.trim().slice(0, 300) || 'no output'}.`);
}

/** SLURM's refusal in the user's words: what SLURM said, and what to change. */
export function submitRefused(stderr: string): EngineError {
  const said = stderr
    .split('\n')
    .map((l) => l.replace(/^sbatch: error: /, '').trim())
    .filter((l) => l && !/^Batch job submission failed:?$/.test(l))
    .join(' ')
    .replace(/^Batch job submission failed: /, '')
    .slice(0, 500);
  let hint = 'Change the resources (nodes, GPUs, time, partition) and launch again.';
  if (/time limit/i.test(said)) hint = 'Ask for less time (--time), or choose a partition that allows more.';
  else if (/node count|nodes/i.test(said)) hint = "Ask for fewer nodes (--nodes), or choose a partition with more (the host's probe lists them).";
  else if (/partition/i.test(said)) hint = "Choose one of the cluster's partitions (--partition; the host's probe lists them).";
  else if (/account|qos|association/i.test(said)) hint = 'Check the account and QOS (--account, --qos) with your cluster administrators.';
  else if (/gres|gpu/i.test(said)) hint = 'Ask for fewer GPUs per node, or choose a partition that has them.';
  return new EngineError('SLURM_SUBMIT_REFUSED', `SLURM refused the job: ${said || 'no reason given'}. ${hint}`, { slurm: said });
}
