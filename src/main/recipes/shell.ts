// Builds the shell command line a recipe runs, quoting every argument.
import { shQuote } from '../hosts/host-access';

/** `python` may be an activation line ("source venv/bin/activate && python"): it stays unquoted. */
export function commandLine(prefix: string, args: readonly (string | number | boolean)[]): string {
  return [prefix, ...args.map((a) => shQuote(String(a)))].join(' ');
}

/** --flag value pairs for the set values; booleans become bare flags when true. */
export function flags(values: Record<string, string | number | boolean | undefined | null>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null || v === false || v === '') continue;
    out.push(`--${k}`);
    if (v !== true) out.push(String(v));
  }
  return out;
}

/** GPU selection: CUDA_VISIBLE_DEVICES and how many processes to start. */
export function gpuEnv(gpus: string | undefined): { env: Record<string, string>; count: number } {
  if (!gpus) return { env: {}, count: 1 };
  const list = gpus
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return { env: { CUDA_VISIBLE_DEVICES: list.join(',') }, count: Math.max(1, list.length) };
}

/**
 * How a PyTorch script starts: plain Python for one process; torchrun for several on one machine;
 * on several nodes (a SLURM job, one task per node) torchrun with the c10d rendezvous at the head
 * node's address and a port derived from the job id, which the supervisor puts in TB_RDZV_ENDPOINT.
 */
export function torchLauncher(python: string, procsPerNode: number, nodes: number | undefined, extra = ''): string {
  const more = extra ? ` ${extra}` : '';
  if ((nodes ?? 1) > 1) {
    return `${python} -m torch.distributed.run --nnodes "$TB_NNODES" --nproc_per_node ${procsPerNode} --rdzv_backend c10d --rdzv_endpoint "$TB_RDZV_ENDPOINT" --rdzv_id "tb-$SLURM_JOB_ID"${more}`;
  }
  return procsPerNode > 1 ? `${python} -m torch.distributed.run --standalone --nproc_per_node ${procsPerNode}${more}` : python;
}
