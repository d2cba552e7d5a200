// Types of slurm.mjs.
export declare function ensureSlurm(): void;
export interface TestSlurm {
  dir: string;
  /** Path of slurm.conf. */
  conf: string;
  /** What a SLURM client needs in its environment: { SLURM_CONF }. Pass it to startSshd({ env }) for SSH sessions. */
  env: Record<string, string>;
  /** DIR/env.sh, exporting SLURM_CONF: for a host's `setup` line (`. DIR/env.sh`) or a login's profile. */
  envFile: string;
  nodes: { name: string; addr: string; port: number }[];
  /** 'low' (the default), 'high' (preempts low: PreemptMode=REQUEUE), 'tiny' (MaxNodes=1, MaxTime=5; EnforcePartLimits=ALL refuses more). */
  partitions: string[];
  /** How long startSlurm took, in ms. */
  startMs: number;
  /** Runs a SLURM command with SLURM_CONF set (execFileSync); returns stdout, throws on a non-zero exit. */
  run(cmd: string, args: string[]): string;
  /** Every job, array tasks one by one (`squeue -h -r -o '%i|%T|%j'`). */
  queue(): { id: string; state: string; name: string }[];
  waitForEmptyQueue(timeoutMs?: number): Promise<void>;
  /** Polls `pred` every 200 ms (a throw counts as false); rejects naming `what` after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Cancels every job, waits for an empty queue (20 s at most), kills the daemons and what is left of jobs by pid, removes dir. */
  stop(): Promise<void>;
}
/**
 * A two-node cluster (n1, n2, one CPU each) on loopback, with munged, under a temp dir. Needs root.
 * A requeued job may start again 10 s later (AuthInfo cred_expire=10; SLURM's default is 120 s).
 */
export declare function startSlurm(opts?: { dir?: string; preemptGraceSeconds?: number; /** CPUs of n1 and n2 (default 1, at most this machine's). */ cpusPerNode?: number }): Promise<TestSlurm>;
