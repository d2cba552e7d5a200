// The SLURM job behind a run, as rows of the run page's details: the job, SLURM's own state and why it
// waits, where it runs, which attempt this is (a requeue starts another), and what it asked for.
import type { RunJob, RunResources } from '../../../shared/domain/slurm';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 nodes · 1 GPU per node · memory 64G · time 4:00:00 · partition low": what the job asked for. */
export function resourcesText(r: RunResources): string {
  const parts = [
    r.nodes !== undefined ? plural(r.nodes, 'node') : '',
    r.gpusPerNode !== undefined ? `${plural(r.gpusPerNode, 'GPU')} per node` : '',
    r.cpusPerTask !== undefined ? `${plural(r.cpusPerTask, 'CPU')} per task` : '',
    r.mem ? `memory ${r.mem}` : '',
    r.time ? `time ${r.time}` : '',
    r.partition ? `partition ${r.partition}` : '',
    r.account ? `account ${r.account}` : '',
    r.qos ? `QOS ${r.qos}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : "the cluster's defaults";
}

/** SLURM states a job ends in; any other is only the last one seen before the job left the queue. */
const ENDED = ['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED'];

/** SLURM's state with its reason, e.g. "PENDING (Resources)"; "None" is SLURM's way of saying no reason. */
export function jobStateText(job: RunJob, runEnded: boolean): string {
  if (!job.state) return 'not in the queue';
  if (runEnded && !ENDED.includes(job.state)) return `left the queue (last seen ${job.state})`;
  return job.reason && job.reason !== 'None' ? `${job.state} (${job.reason})` : job.state;
}

export function JobDetails({ job, ended }: { job: RunJob; ended: boolean }) {
  return (
    <>
      <dt>SLURM job</dt>
      <dd>
        <span className="mono">{job.jobId}</span> · {jobStateText(job, ended)}
      </dd>
      <dt>Nodes</dt>
      <dd className="mono">{job.nodes ?? (job.state === 'PENDING' ? 'none yet' : '—')}</dd>
      <dt>Attempt</dt>
      <dd>attempt {job.attempt + 1}</dd>
      <dt>Resources</dt>
      <dd>{resourcesText(job.resources)}</dd>
    </>
  );
}
