// `tunebench host ...`: add, list, trust, probe, remove.
import { requiredStr, str, usageError, type ParsedArgs } from '../args';
import type { SlurmSettings } from '../../../shared/domain/slurm';
import { shortTime } from '../format';
import type { Command } from '../command';
import { withEngine } from '../with-engine';
import { keyValues, table } from '../format';

const HOST = [{ name: 'NAME', required: true, help: 'The host' }];

const SLURM_FLAGS = {
  slurm: { kind: 'boolean', help: "The host is a SLURM cluster's login node: runs are submitted with sbatch" },
  partition: { kind: 'string', value: 'P', help: 'Cluster: default partition' },
  account: { kind: 'string', value: 'A', help: 'Cluster: default account' },
  qos: { kind: 'string', value: 'Q', help: 'Cluster: default QOS' },
  time: { kind: 'string', value: 'T', help: 'Cluster: default time limit (e.g. 4:00:00)' },
  'sbatch-line': { kind: 'list', value: 'OPT', help: 'Cluster: an extra #SBATCH option, e.g. --constraint=a100 (repeatable)' },
  'slurm-setup': { kind: 'string', value: 'CMD', help: 'Cluster: a shell line run before SLURM commands, e.g. "module load slurm"' },
  'signal-seconds': { kind: 'number', value: 'S', help: 'Cluster: seconds before the time limit to checkpoint and requeue (default 120)' },
} as const;

/** The cluster defaults given as flags, or undefined when none was. */
function slurmSettings(flags: ParsedArgs['flags']): SlurmSettings | undefined {
  const s: SlurmSettings = {};
  if (str(flags.partition)) s.partition = str(flags.partition)!;
  if (str(flags.account)) s.account = str(flags.account)!;
  if (str(flags.qos)) s.qos = str(flags.qos)!;
  if (str(flags.time)) s.time = str(flags.time)!;
  if (Array.isArray(flags['sbatch-line']) && flags['sbatch-line'].length) s.sbatchLines = flags['sbatch-line'] as string[];
  if (str(flags['slurm-setup'])) s.setup = str(flags['slurm-setup'])!;
  if (typeof flags['signal-seconds'] === 'number') s.signalSeconds = flags['signal-seconds'];
  return Object.keys(s).length ? s : undefined;
}

function slurmProbeText(c: NonNullable<import('../../../shared/domain/host').HostProbe['slurm']>): string {
  return (
    '\n' +
    keyValues([
      ['slurm', c.version ?? 'unknown version'],
      ['accounting', c.accountingDetail],
      ['shared run root', `${c.sharedRunRoot === null ? 'unknown' : c.sharedRunRoot ? 'yes' : 'NO'}: ${c.sharedRunRootDetail}`],
      ['jobs may submit', `${c.computeSubmit === null ? 'unknown' : c.computeSubmit ? 'yes' : 'NO'}: ${c.computeSubmitDetail}`],
      ['your jobs', c.jobs.length ? c.jobs.map((j) => `${j.id} ${j.state}${j.reason ? ` (${j.reason})` : ''}`).join(', ') : 'none'],
    ]) +
    table(
      ['PARTITION', 'STATE', 'NODES', 'CPUS/NODE', 'MEM/NODE', 'GPUS/NODE', 'MAX TIME', 'MAX NODES'],
      c.partitions.map((p) => [
        `${p.name}${p.isDefault ? '*' : ''}`,
        p.up ? 'up' : 'down',
        String(p.nodes),
        p.cpusPerNode === null ? '—' : String(p.cpusPerNode),
        p.memoryMiBPerNode === null ? '—' : `${p.memoryMiBPerNode} MiB`,
        String(p.gpusPerNode),
        p.maxTimeSeconds === null ? 'unlimited' : shortTime(p.maxTimeSeconds),
        p.maxNodes === null ? 'unlimited' : String(p.maxNodes),
      ]),
    )
  );
}

export const hostCommands: Command[] = [
  {
    path: ['host', 'add'],
    summary: 'Add an SSH host (its key stays untrusted until you trust it)',
    positionals: [{ name: 'NAME', required: true, help: 'A short name for the host' }],
    flags: {
      hostname: { kind: 'string', value: 'H', help: 'Address or DNS name' },
      port: { kind: 'number', value: 'P', help: 'SSH port (default 22)' },
      user: { kind: 'string', value: 'U', help: 'User (default: yours)' },
      identity: { kind: 'string', value: 'FILE', help: 'Private key file (default: the agent, then ~/.ssh/id_*)' },
      'proxy-jump': { kind: 'string', value: 'SPEC', help: 'Jump hosts, [user@]host[:port][,...]' },
      python: { kind: 'string', value: 'CMD', help: 'Python to run with (a path, or an activation line; default python3)' },
      'run-root': { kind: 'string', value: 'DIR', help: 'Where runs live on the host (default ~/.tunebench; on a cluster, a folder the compute nodes share)' },
      ...SLURM_FLAGS,
    },
    async run(ctx, args) {
      const hostname = requiredStr(args.flags.hostname, 'hostname', "the host's address or DNS name, e.g. --hostname 10.0.0.5");
      const slurm = slurmSettings(args.flags);
      if (slurm && !args.flags.slurm) throw usageError('--partition, --account, --qos, --time, --sbatch-line, --slurm-setup and --signal-seconds are for clusters: add --slurm.');
      const host = await withEngine(ctx, (call) =>
        call('hosts.add', {
          name: args.positionals[0]!,
          hostname,
          ...(typeof args.flags.port === 'number' ? { port: args.flags.port } : {}),
          ...(str(args.flags.user) ? { user: str(args.flags.user) } : {}),
          ...(str(args.flags.identity) ? { identityFile: str(args.flags.identity) } : {}),
          ...(str(args.flags['proxy-jump']) ? { proxyJump: str(args.flags['proxy-jump']) } : {}),
          ...(str(args.flags.python) ? { python: str(args.flags.python) } : {}),
          ...(str(args.flags['run-root']) ? { runRoot: str(args.flags['run-root']) } : {}),
          ...(args.flags.slurm ? { slurm: slurm ?? {} } : {}),
        }),
      );
      ctx.print(host, () => `Added ${host.slurm ? 'the SLURM cluster ' : ''}${host.name} (${host.user}@${host.hostname}:${host.port}). Check its key with \`tunebench host probe ${host.name}\`.\n`);
      return 0;
    },
  },
  {
    path: ['host', 'import'],
    summary: 'Add every Host of an OpenSSH config file (their keys stay untrusted)',
    positionals: [],
    flags: { config: { kind: 'string', value: 'FILE', help: 'The config file (default ~/.ssh/config)' } },
    async run(ctx, args) {
      const r = await withEngine(ctx, (call) => call('hosts.import', str(args.flags.config) ? { configFile: str(args.flags.config)! } : {}));
      // Notes (a ProxyCommand, the fallback parser) are in the engine's answer beyond the contract's fields.
      const notes = r.notes;
      ctx.print(
        r,
        () =>
          [
            ...r.added.map((h) => `added    ${h.name} (${h.user}@${h.hostname}:${h.port}${h.proxyJump ? ` via ${h.proxyJump}` : ''})`),
            ...r.skipped.map((s) => `skipped  ${s.name}: ${s.reason}`),
            ...notes.filter((n) => r.added.some((h) => h.name === n.name)).map((n) => `note     ${n.name}: ${n.note}`),
          ].join('\n') + '\n',
      );
      return 0;
    },
  },
  {
    path: ['host', 'list'],
    summary: 'List hosts',
    positionals: [],
    flags: {},
    async run(ctx) {
      const hosts = await withEngine(ctx, (call) => call('hosts.list', {}));
      ctx.print(hosts, () =>
        table(
          ['NAME', 'KIND', 'ADDRESS', 'PYTHON', 'RUN ROOT'],
          hosts.map((h) => [h.name, h.slurm ? 'slurm' : h.kind, h.kind === 'local' ? '—' : `${h.user}@${h.hostname}:${h.port}${h.proxyJump ? ` via ${h.proxyJump}` : ''}`, h.python, h.runRoot]),
        ),
      );
      return 0;
    },
  },
  {
    path: ['host', 'trust'],
    summary: "Trust a host's key, after checking its fingerprint with the server's administrator",
    positionals: HOST,
    flags: { fingerprint: { kind: 'string', value: 'SHA256:...', help: 'The fingerprint you checked (required)' } },
    async run(ctx, args) {
      const r = await withEngine(ctx, (call) =>
        call('hosts.trust', {
          ref: args.positionals[0]!,
          fingerprint: requiredStr(args.flags.fingerprint, 'fingerprint', "the SHA256:... fingerprint you checked with the server's administrator (`host probe` shows it)"),
        }),
      );
      // jumpHost: the key was a jump host's, which must be trusted before the host's own.
      const jump = r.jumpHost;
      const whose = jump ? `the jump host ${jump} of ${r.host.name}` : r.host.name;
      ctx.print(r, () =>
        r.alreadyTrusted
          ? `The key ${r.keyType} ${r.fingerprint} of ${whose} was already trusted.\n`
          : `Trusted ${whose}: ${r.keyType} ${r.fingerprint}\n${jump ? `Next, check ${r.host.name}'s own key: \`tunebench host probe ${r.host.name}\` shows it.\n` : ''}`,
      );
      return 0;
    },
  },
  {
    path: ['host', 'probe'],
    summary: 'Connect and report OS, CPUs, memory, disk, GPUs and Python packages',
    positionals: HOST,
    flags: {},
    async run(ctx, args) {
      const p = await withEngine(ctx, (call) => call('hosts.probe', { ref: args.positionals[0]! }));
      ctx.print(p, () => {
        const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
        const pkgs = Object.entries(p.python.packages)
          .map(([k, v]) => `${k} ${v ?? '—'}`)
          .join(', ');
        return (
          keyValues([
            ['os', `${p.os} (kernel ${p.kernel})`],
            ['cpus', String(p.cpus)],
            ['memory', gib(p.memoryBytes)],
            ['disk free', p.diskFreeBytes === null ? '—' : gib(p.diskFreeBytes)],
            ['python', `${p.python.version ?? '—'}: ${pkgs}`],
            ['driver / CUDA', `${p.driverVersion ?? '—'} / ${p.cudaVersion ?? '—'}`],
            ['sbatch', p.hasSbatch ? 'yes' : 'no'],
          ]) +
          (p.gpus.length
            ? table(
                ['GPU', 'NAME', 'MEMORY', 'UTIL'],
                p.gpus.map((g) => [String(g.index), g.name, `${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB`, `${g.utilization}%`]),
              )
            : 'gpus:          none\n') +
          (p.slurm ? slurmProbeText(p.slurm) : '')
        );
      });
      return 0;
    },
  },
  {
    path: ['host', 'set'],
    summary: 'Change a host: its Python, run root, address, user, port, key file, jump hosts or cluster defaults',
    positionals: HOST,
    flags: {
      python: { kind: 'string', value: 'CMD', help: 'Python to run with (a path, or an activation line)' },
      'run-root': { kind: 'string', value: 'DIR', help: 'Where runs live on the host' },
      hostname: { kind: 'string', value: 'H', help: 'Address or DNS name (reconnects)' },
      port: { kind: 'number', value: 'P', help: 'SSH port (reconnects)' },
      user: { kind: 'string', value: 'U', help: 'User (reconnects)' },
      identity: { kind: 'string', value: 'FILE', help: 'Private key file (reconnects)' },
      'no-identity': { kind: 'boolean', help: 'Forget the key file: use the agent, then ~/.ssh/id_* (reconnects)' },
      'proxy-jump': { kind: 'string', value: 'SPEC', help: 'Jump hosts, [user@]host[:port][,...] (reconnects)' },
      'no-proxy-jump': { kind: 'boolean', help: 'Connect directly, without jump hosts (reconnects)' },
      ...SLURM_FLAGS,
    },
    async run(ctx, args) {
      const slurm = slurmSettings(args.flags);
      const f = args.flags;
      if (str(f.identity) && f['no-identity']) throw usageError('Give --identity FILE or --no-identity, not both.');
      if (str(f['proxy-jump']) && f['no-proxy-jump']) throw usageError('Give --proxy-jump SPEC or --no-proxy-jump, not both.');
      const host = await withEngine(ctx, (call) =>
        call('hosts.configure', {
          ref: args.positionals[0]!,
          ...(slurm ? { slurm } : {}),
          ...(str(f.python) ? { python: str(f.python)! } : {}),
          ...(str(f['run-root']) ? { runRoot: str(f['run-root'])! } : {}),
          ...(str(f.hostname) ? { hostname: str(f.hostname)! } : {}),
          ...(typeof f.port === 'number' ? { port: f.port } : {}),
          ...(str(f.user) ? { user: str(f.user)! } : {}),
          ...(str(f.identity) ? { identityFile: str(f.identity)! } : f['no-identity'] ? { identityFile: null } : {}),
          ...(str(f['proxy-jump']) ? { proxyJump: str(f['proxy-jump'])! } : f['no-proxy-jump'] ? { proxyJump: null } : {}),
        }),
      );
      ctx.print(
        host,
        () =>
          `${host.name}: python ${host.python}, run root ${host.runRoot}` +
          (host.kind === 'ssh' ? `, ${host.user}@${host.hostname}:${host.port}${host.identityFile ? ` key ${host.identityFile}` : ''}${host.proxyJump ? ` via ${host.proxyJump}` : ''}` : '') +
          '\n',
      );
      return 0;
    },
  },
  {
    path: ['host', 'remove'],
    summary: 'Remove a host that no run uses',
    positionals: HOST,
    flags: {},
    async run(ctx, args) {
      const host = await withEngine(ctx, (call) => call('hosts.remove', { ref: args.positionals[0]! }));
      ctx.print(host, () => `Removed ${host.name}\n`);
      return 0;
    },
  },
];
