// Reading the queue: one squeue for all of a user's jobs on a cluster, and what a job's SLURM state
// means for its run. Pure: tested without a cluster.
//
// squeue's text format (not --json, which SLURM before 21.08 lacks), one array element per line (-r),
// with finished jobs while SLURM still remembers them (-t all; MinJobAge, 5 minutes by default).
import type { Run, RunStatus } from '../../shared/domain/run';

const SEP = '\u001f';
/** Job id (array elements as 12_3), state, reason, submit time, nodes, name, exit code is not in squeue. */
export const SQUEUE_FORMAT = ['%i', '%T', '%r', '%V', '%N', '%j'].join(SEP);
export const squeueCommand = (): string => `squeue -h -r -t all -u "$(id -un)" -o '${SQUEUE_FORMAT}'`;

export interface QueueLine {
  jobId: string;
  state: string;
  reason: string;
  submittedAt: string;
  nodes: string;
  name: string;
}

export function parseSqueue(stdout: string): Map<string, QueueLine> {
  const jobs = new Map<string, QueueLine>();
  for (const raw of stdout.split('\n')) {
    const f = raw.split(SEP);
    if (f.length < 6) continue;
    const [jobId, state, reason, submittedAt, nodes, ...name] = f.map((x) => x.trim());
    // A state may carry a suffix on some versions (e.g. "CANCELLED by 0"); the first word is the state.
    jobs.set(jobId!, {
      jobId: jobId!,
      state: state!.split(/[\s+]/)[0]!.toUpperCase(),
      reason: reason === 'None' ? '' : reason!,
      submittedAt: submittedAt!,
      nodes: nodes === '(null)' ? '' : nodes!,
      name: name.join(SEP),
    });
  }
  return jobs;
}

/** The state of a job that has left squeue, as `sacct -X -P -n -o JobID,State,ExitCode` reports it. */
export function parseSacct(stdout: string, jobId: string): { state: string; exitCode: string } | null {
  for (const line of stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    if (id === jobId && state) return { state: state.split(/\s/)[0]!.toUpperCase(), exitCode: exitCode ?? '' };
  }
  return null;
}

export interface JobDecision {
  status: RunStatus;
  /** Said to the user when the run ends this way (why it failed, was lost or cancelled). */
  why?: string;
}

const PENDING_STATES = new Set(['PENDING', 'CONFIGURING', 'RESV_DEL_HOLD']);
const RUNNING_STATES = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING', 'STOPPED']);
const REQUEUED_STATES = new Set(['REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED']);

/** Has this run's job started at least once? Then pending again means requeued, not waiting for a first start. */
function ranBefore(run: Run): boolean {
  return (run.job?.attempt ?? 0) > 0 || ['RUNNING', 'PREEMPTED', 'REQUEUED', 'CANCELLING'].includes(run.status) || ['RUNNING', 'COMPLETING', 'PREEMPTED', 'REQUEUED'].includes(run.job?.state ?? '');
}

/**
 * What a job's SLURM state says about its run, when the run's supervisor has left no exit code (an exit
 * code, written by the supervisor, always wins: it is what the run itself did). `null` = keep following
 * the run's files (the heartbeat is the truth for a running job).
 */
export function decideFromState(run: Run, state: string, reason: string, timeLimit: string | undefined): JobDecision | null {
  if (PENDING_STATES.has(state)) return { status: ranBefore(run) ? 'REQUEUED' : 'PENDING' };
  if (REQUEUED_STATES.has(state)) return { status: 'REQUEUED' };
  if (state === 'PREEMPTED' || state === 'SUSPENDED') return { status: 'PREEMPTED' };
  if (RUNNING_STATES.has(state)) return null;
  switch (state) {
    case 'COMPLETED':
      return null; // the supervisor's exit code is on its way (or the job ended without one: see gone())
    case 'CANCELLED':
      return { status: 'CANCELLED', why: `SLURM cancelled the job${reason ? ` (${reason})` : ''}${run.status === 'CANCELLING' ? '' : ': scancel from outside Tunebench, or an administrator'}.` };
    case 'TIMEOUT':
      return {
        status: 'FAILED',
        why: `The job reached its time limit${timeLimit ? ` (${timeLimit})` : ''} before it could checkpoint and requeue. Give it more time (--time), or let the recipe save checkpoints more often.`,
      };
    case 'OUT_OF_MEMORY':
      return { status: 'FAILED', why: 'SLURM stopped the job for using more memory than it asked for. Ask for more (--mem).' };
    case 'NODE_FAIL':
    case 'BOOT_FAIL':
      return { status: 'FAILED', why: `A node of the job failed (${state}). Launch again; if it repeats, tell the cluster's administrators.` };
    case 'DEADLINE':
      return { status: 'FAILED', why: 'The job missed its deadline and SLURM ended it.' };
    case 'FAILED':
      return { status: 'FAILED', why: `SLURM reports the job failed${reason ? ` (${reason})` : ''} and the run left no exit code: see .tb/slurm-*.out in the run directory.` };
    default:
      return null; // a state this version does not know: keep following the files
  }
}

/** A job gone from the queue without an exit code from its supervisor, where accounting cannot say more. */
export function decideGone(run: Run, accounting: boolean): JobDecision {
  // Cancelled by the user, and gone: that is what was asked for.
  if (run.status === 'CANCELLING') return { status: 'CANCELLED', why: `Cancelled; job ${run.job?.jobId ?? ''} left the queue.` };
  const started = ranBefore(run);
  return {
    status: 'LOST',
    why:
      `The job ${run.job?.jobId ?? ''} left the queue ${started ? 'while the run was going' : 'before it started'} and the run left no exit code. ` +
      (accounting ? 'SLURM accounting has no record of it either.' : 'Accounting (sacct) is off on this cluster, so its final state cannot be read.') +
      ' It may have been cancelled outside Tunebench; see .tb/slurm-*.out in the run directory.',
  };
}
