// `tunebench host ...`: add, list, trust, probe, remove.
import { requiredStr, str } from '../args';
import type { Command } from '../command';
import { withEngine } from '../with-engine';
import { keyValues, table } from '../format';

const HOST = [{ name: 'NAME', required: true, help: 'The host' }];

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
      'run-root': { kind: 'string', value: 'DIR', help: 'Where runs live on the host (default ~/.tunebench)' },
    },
    async run(ctx, args) {
      const hostname = requiredStr(args.flags.hostname, 'hostname', "the host's address or DNS name, e.g. --hostname 10.0.0.5");
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
        }),
      );
      ctx.print(host, () => `Added ${host.name} (${host.user}@${host.hostname}:${host.port}). Check its key with \`tunebench host probe ${host.name}\`.\n`);
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
      ctx.print(r, () =>
        [...r.added.map((h) => `added    ${h.name} (${h.user}@${h.hostname}:${h.port}${h.proxyJump ? ` via ${h.proxyJump}` : ''})`), ...r.skipped.map((s) => `skipped  ${s.name}: ${s.reason}`)].join('\n') + '\n',
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
          hosts.map((h) => [h.name, h.kind, h.kind === 'local' ? '—' : `${h.user}@${h.hostname}:${h.port}${h.proxyJump ? ` via ${h.proxyJump}` : ''}`, h.python, h.runRoot]),
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
      const r = await withEngine(ctx, (call) => call('hosts.trust', { ref: args.positionals[0]!, fingerprint: requiredStr(args.flags.fingerprint, 'fingerprint', 'the SHA256:... fingerprint you checked with the server\'s administrator (`host probe` shows it)') }));
      ctx.print(r, () => (r.alreadyTrusted ? `${r.host.name}'s key was already trusted.\n` : `Trusted ${r.host.name}: ${r.keyType} ${r.fingerprint}\n`));
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
        const pkgs = Object.entries(p.python.packages).map(([k, v]) => `${k} ${v ?? '—'}`).join(', ');
        return (
          keyValues([
            ['os', `${p.os} (kernel ${p.kernel})`],
            ['cpus', String(p.cpus)],
            ['memory', gib(p.memoryBytes)],
            ['disk free', p.diskFreeBytes === null ? '—' : gib(p.diskFreeBytes)],
            ['python', `${p.python.version ?? '—'}: ${pkgs}`],
            ['driver / CUDA', `${p.driverVersion ?? '—'} / ${p.cudaVersion ?? '—'}`],
            ['sbatch', p.hasSbatch ? 'yes' : 'no'],
          ]) + (p.gpus.length ? table(['GPU', 'NAME', 'MEMORY', 'UTIL'], p.gpus.map((g) => [String(g.index), g.name, `${g.memoryUsedMiB}/${g.memoryTotalMiB} MiB`, `${g.utilization}%`])) : 'gpus:          none\n')
        );
      });
      return 0;
    },
  },
  {
    path: ['host', 'set'],
    summary: "Change a host's Python command or run root",
    positionals: HOST,
    flags: {
      python: { kind: 'string', value: 'CMD', help: 'Python to run with (a path, or an activation line)' },
      'run-root': { kind: 'string', value: 'DIR', help: 'Where runs live on the host' },
    },
    async run(ctx, args) {
      const host = await withEngine(ctx, (call) =>
        call('hosts.configure', {
          ref: args.positionals[0]!,
          ...(str(args.flags.python) ? { python: str(args.flags.python)! } : {}),
          ...(str(args.flags['run-root']) ? { runRoot: str(args.flags['run-root'])! } : {}),
        }),
      );
      ctx.print(host, () => `${host.name}: python ${host.python}, run root ${host.runRoot}\n`);
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
