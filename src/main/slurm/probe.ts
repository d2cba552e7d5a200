// Probing a cluster from its login node: SLURM's version, the partitions with their nodes, GPUs and
// limits, the user's jobs, whether accounting answers, and whether a job on a compute node reads what
// the login node wrote under the run root (runs need the run directory on a shared file system).
import type { Host } from '../../shared/domain/host';
import { slurmTimeSeconds, type SlurmPartition, type SlurmProbe } from '../../shared/domain/slurm';
import { privately, shQuote, type HostAccess } from '../hosts/host-access';
import { slurmCommand } from './cluster';

const SEP = '\u001f';
const SECTION = (name: string) => `echo "@@tb:${name}"`;

/** The probe as one shell script: a round trip per command costs ~50 ms through a jump host. */
export function probeScript(runRoot: string, token: string, sharedCheckSeconds: number): string {
  const dir = `${runRoot.replace(/\/+$/, '')}/probe`;
  const file = `${dir}/shared-${token}`;
  return [
    SECTION('version'),
    'sinfo --version 2>&1',
    SECTION('partitions'),
    `sinfo -h -o '${['%P', '%a', '%l', '%s', '%D', '%N', '%G', '%c', '%m'].join(SEP)}' 2>&1`,
    SECTION('jobs'),
    `squeue -h -u "$(id -un)" -o '${['%i', '%T', '%j', '%r'].join(SEP)}' 2>&1`,
    SECTION('accounting'),
    'sacct -n -X -j 1 -o JobID 2>&1; echo "exit=$?"',
    SECTION('shared'),
    // A tiny job reads a file the login node just wrote; whether it saw it tells if the run root is shared.
    // Private like everything else under the run root (the folder stays after the probe).
    `${privately(`mkdir -p ${shQuote(dir)} && echo ${token} > ${shQuote(file)}`)} || { echo "cannot write under the run root"; exit 0; }`,
    // The same job first asks whether a job may submit jobs (a sweep's scheduler is a job that submits its
    // trials; some clusters allow sbatch only on login nodes), without the job's own SLURM_* variables, as
    // the scheduler calls it. Written before the file it reads, so both are there once that one is.
    `job=$(sbatch --parsable --job-name=tb-probe --time=1 --nodes=1 --output=/dev/null --wrap ${shQuote(`${submitCheck(`${file}.submit`)}; cat ${shQuote(file)} > ${shQuote(`${file}.seen`)} 2>&1`)} 2>&1) || { echo "submit failed: $job"; rm -f ${shQuote(file)}; exit 0; }`,
    'job=${job%%;*}',
    `i=0; while [ $i -lt ${sharedCheckSeconds * 4} ] && [ ! -s ${shQuote(`${file}.seen`)} ]; do sleep 0.25; i=$((i+1)); done`,
    `if [ -s ${shQuote(`${file}.seen`)} ]; then echo "seen=$(cat ${shQuote(`${file}.seen`)})"; echo "submit=$(tr '\\n' ' ' < ${shQuote(`${file}.submit`)} 2>/dev/null)"; else echo "state=$(squeue -h -j "$job" -o '%T %r' 2>/dev/null)"; scancel "$job" 2>/dev/null; fi`,
    `rm -f ${shQuote(file)} ${shQuote(`${file}.seen`)} ${shQuote(`${file}.submit`)}`,
  ].join('\n');
}

/** Inside a job: whether sbatch takes a job from there (--test-only submits nothing), into `out`. */
function submitCheck(out: string): string {
  const clean = `for v in $(env | grep -E '^(SLURM|SBATCH|SQUEUE|SRUN|SALLOC)_' | cut -d= -f1); do [ "$v" = SLURM_CONF ] || unset "$v"; done`;
  return `(${clean}; sbatch --test-only --job-name=tb-probe --time=1 --nodes=1 --output=/dev/null --wrap true 2>&1; echo "exit=$?") > ${shQuote(out)} 2>&1`;
}

function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of stdout.split('\n')) {
    const m = /^@@tb:(\w+)$/.exec(line);
    if (m) {
      name = m[1]!;
      out.set(name, '');
    } else if (name) out.set(name, out.get(name)! + line + '\n');
  }
  return out;
}

const num = (s: string | undefined): number | null => (s && /^\d+$/.test(s) ? Number(s) : null);

/** gres like `gpu:4`, `gpu:a100:8(S:0-1)`, `gpu:a100:4,gpu:v100:2`: GPUs per node. */
export function gpusInGres(gres: string): number {
  let n = 0;
  for (const part of gres.split(/,(?![^()]*\))/)) {
    const m = /^gpu(?::[^:(]+)?:(\d+)/.exec(part.trim());
    if (m) n += Number(m[1]);
  }
  return n;
}

export function parsePartitions(text: string): SlurmPartition[] {
  const byName = new Map<string, SlurmPartition>();
  for (const line of text.split('\n')) {
    const f = line.split(SEP).map((x) => x.trim());
    if (f.length < 9) continue;
    const [rawName, avail, limit, size, nodes, nodeList, gres, cpus, mem] = f as [string, string, string, string, string, string, string, string, string];
    const name = rawName.replace(/\*$/, '');
    // %s: the job size in nodes, "1-infinite", "1-4", or one number when min and max are equal.
    const maxNodes = /^(?:\d+-)?(\d+)$/.exec(size)?.[1];
    const partition: SlurmPartition = {
      name,
      isDefault: rawName.endsWith('*'),
      up: avail === 'up',
      maxTimeSeconds: limit === 'infinite' || limit === 'UNLIMITED' ? null : /^[\d:-]+$/.test(limit) ? slurmTimeSeconds(limit) : null,
      maxNodes: maxNodes ? Number(maxNodes) : null,
      nodes: num(nodes) ?? 0,
      nodeList,
      cpusPerNode: num(cpus.replace(/\+$/, '')),
      memoryMiBPerNode: num(mem.replace(/\+$/, '')),
      gpusPerNode: gres === '(null)' ? 0 : gpusInGres(gres),
      gres: gres === '(null)' ? '' : gres,
    };
    // sinfo prints a partition once per distinct node configuration: keep the sum of nodes.
    const seen = byName.get(name);
    if (seen) {
      seen.nodes += partition.nodes;
      seen.nodeList = `${seen.nodeList},${partition.nodeList}`;
      seen.gpusPerNode = Math.max(seen.gpusPerNode, partition.gpusPerNode);
    } else byName.set(name, partition);
  }
  return [...byName.values()];
}

export function parseClusterProbe(stdout: string, token: string): SlurmProbe {
  const s = sections(stdout);
  const version = /(\d+\.\d+(?:\.\d+)?)/.exec(s.get('version') ?? '')?.[1] ?? null; // "slurm 22.05.8", "slurm-wlm 22.05.8"
  const jobs = (s.get('jobs') ?? '')
    .split('\n')
    .map((l) => l.split(SEP))
    .filter((f) => f.length >= 4)
    .map(([id, state, name, reason]) => ({ id: id!.trim(), state: state!.trim(), name: name!.trim(), reason: reason!.trim() === 'None' ? '' : reason!.trim() }));
  const acct = (s.get('accounting') ?? '').trim();
  const accounting = /exit=0\s*$/.test(acct) && !/disabled|not running|Unable|slurmdbd|error/i.test(acct);
  const shared = (s.get('shared') ?? '').trim();
  let sharedRunRoot: boolean | null = null;
  let sharedRunRootDetail: string;
  if (shared.includes(`seen=${token}`)) {
    sharedRunRoot = true;
    sharedRunRootDetail = 'A job on a compute node read a file the login node wrote under the run root.';
  } else if (/^seen=/m.test(shared)) {
    sharedRunRoot = false;
    sharedRunRootDetail = `A job on a compute node could not read the file the login node wrote under the run root (${shared.replace(/^seen=/m, '').slice(0, 200)}). Set a run root on a shared file system (--run-root).`;
  } else {
    sharedRunRootDetail = /^state=/m.test(shared)
      ? `Not known: the check job did not run in time (${shared.replace(/^state=/m, '').trim() || 'it left the queue'}).`
      : `Not checked: ${shared.slice(0, 300) || 'no answer'}.`;
  }
  const submit = /^submit=(.*)$/m.exec(shared)?.[1]?.trim();
  const submitExit = submit ? /exit=(\d+)\s*$/.exec(submit)?.[1] : undefined;
  // What sbatch said, without its "exit=" and the run of "sbatch: error:" prefixes.
  const said = (submit ?? '')
    .replace(/exit=\d+\s*$/, '')
    .replace(/sbatch: error: /g, '')
    .trim()
    .slice(0, 200);
  const computeSubmit = submitExit === undefined ? null : submitExit === '0';
  const computeSubmitDetail =
    computeSubmit === null
      ? `Not checked: ${sharedRunRoot === null ? 'the check job did not run' : 'no answer from the check job'}.`
      : computeSubmit
        ? 'A job on a compute node may submit jobs (sbatch --test-only there was accepted).'
        : `A job on a compute node cannot submit jobs (${said || `sbatch exited ${submitExit}`}): a sweep's scheduler is a job that submits its trials, so sweeps cannot run here.`;
  return {
    version,
    partitions: parsePartitions(s.get('partitions') ?? ''),
    jobs,
    accounting,
    accountingDetail: accounting
      ? 'sacct answers: jobs that left the queue are read from accounting.'
      : `Accounting is off (${acct.split('\n')[0]?.slice(0, 200) || 'no answer'}): runs rely on squeue and their own exit codes.`,
    sharedRunRoot,
    sharedRunRootDetail,
    computeSubmit,
    computeSubmitDetail,
  };
}

export async function probeCluster(access: HostAccess, host: Host, token: string, sharedCheckSeconds = 20): Promise<SlurmProbe> {
  const r = await access.exec(slurmCommand(host.slurm!, probeScript(host.runRoot, token, sharedCheckSeconds)), { timeoutMs: (sharedCheckSeconds + 40) * 1000 });
  return parseClusterProbe(r.stdout, token);
}
