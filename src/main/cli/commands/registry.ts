// `tunebench registry ...`: registries, pushing approved models (with progress), aliases that move
// only after verification, verify and pull.
import fs from 'node:fs';
import path from 'node:path';
import type { Push, RegistryVerify } from '../../../shared/domain/registry';
import { EngineError } from '../../errors';
import type { Command } from '../command';
import { requiredStr, str, usageError } from '../args';
import { keyValues, table, when } from '../format';
import { withEngine } from '../with-engine';

const REG = { name: 'NAME', required: true, help: 'The registry' };

function readSigners(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new EngineError('VALIDATION_FAILED', `Cannot read ${file}: ${(err as Error).message}.`);
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function progressLine(p: Push): string {
  const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
  const rate = p.rateBytesPerSecond ? `${mib(p.rateBytesPerSecond)}/s` : '—';
  const left = p.secondsLeft !== null ? `${p.secondsLeft} s left` : '';
  return `${p.model}@${p.version}: ${mib(p.bytesDone)} of ${mib(p.bytesTotal)} (${pct}%), ${rate}${p.bytesSkipped ? `, ${mib(p.bytesSkipped)} already there` : ''} ${left}`.trimEnd();
}

function showVerify(v: RegistryVerify): string {
  return `${v.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n')}\n${v.ok ? 'OK' : 'FAILED'}: ${v.summary}\n`;
}

export const registryCommands: Command[] = [
  {
    path: ['registry', 'add'],
    summary: 'Add a model registry: an OCI registry (https://host[:port]/prefix) or a directory on an SSH host (HOST:/path)',
    positionals: [REG],
    flags: {
      oci: { kind: 'string', value: 'URL', help: 'https://host[:port]/repository-prefix' },
      ssh: { kind: 'string', value: 'HOST:/PATH', help: 'A host added with `tunebench host add`, and a folder on it' },
      'ca-file': { kind: 'string', value: 'FILE', help: 'A CA certificate to trust for this registry' },
      'insecure-http': { kind: 'boolean', help: 'Allow plain http to a host that is not this machine' },
      username: { kind: 'string', value: 'USER', help: 'The user to log in as' },
    },
    async run(ctx, args) {
      const caFile = str(args.flags['ca-file']);
      const r = await withEngine(ctx, (call) =>
        call('registries.add', {
          name: args.positionals[0]!,
          ...(str(args.flags.oci) ? { oci: str(args.flags.oci)! } : {}),
          ...(str(args.flags.ssh) ? { ssh: str(args.flags.ssh)! } : {}),
          ...(caFile ? { caFile: path.resolve(caFile) } : {}),
          ...(args.flags['insecure-http'] ? { insecureHttp: true } : {}),
          ...(str(args.flags.username) ? { username: str(args.flags.username)! } : {}),
        }),
      );
      ctx.print(r, () => `Added ${r.name}: ${r.location}\n`);
      return 0;
    },
  },
  {
    path: ['registry', 'list'],
    summary: 'List registries',
    positionals: [],
    flags: {},
    async run(ctx) {
      const list = await withEngine(ctx, (call) => call('registries.list', {}));
      ctx.print(list, () =>
        list.length
          ? table(
              ['NAME', 'KIND', 'LOCATION', 'USER'],
              list.map((r) => [r.name, r.kind, r.location, r.username ?? '—']),
            )
          : 'No registries. Add one with `tunebench registry add NAME --oci URL` or `--ssh HOST:/path`.\n',
      );
      return 0;
    },
  },
  {
    path: ['registry', 'remove'],
    summary: 'Forget a registry (nothing in it is touched)',
    positionals: [REG],
    flags: {},
    async run(ctx, args) {
      const r = await withEngine(ctx, (call) => call('registries.remove', { name: args.positionals[0]! }));
      ctx.print(r, () => `Removed ${r.name}\n`);
      return 0;
    },
  },
  {
    path: ['registry', 'login'],
    summary: "Log in to an OCI registry: the password goes to docker's credential store (its helper, or config.json as docker login does), never to Tunebench's database",
    positionals: [REG],
    flags: {
      username: { kind: 'string', value: 'USER', help: 'The user (required)' },
      'password-stdin': { kind: 'boolean', help: 'Read the password from standard input' },
    },
    async run(ctx, args) {
      const username = requiredStr(args.flags.username, 'username', 'the user to log in as');
      let password: string;
      if (args.flags['password-stdin']) password = fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      else if (ctx.io.askSecret) password = await ctx.io.askSecret(`Password for ${username}: `);
      else throw usageError('Give the password with --password-stdin (there is no terminal to ask on).');
      const r = await withEngine(ctx, (call) => call('registries.login', { name: args.positionals[0]!, username, password, persist: true }));
      ctx.print(r, () => `Logged in to ${r.name} as ${username}\n`);
      return 0;
    },
  },
  {
    path: ['registry', 'push'],
    summary: "Push an approved model: its files must re-hash to the approval's digests where they are; resumes where an earlier push stopped",
    positionals: [{ name: 'APPROVAL', required: true, help: 'The approval digest (a prefix will do)' }],
    flags: {
      to: { kind: 'string', value: 'NAME', help: 'The registry (required)' },
      model: { kind: 'string', value: 'M', help: "Model name (default: the project's)" },
      version: { kind: 'string', value: 'V', help: "Version tag (default: the model's digest, 12 hex)" },
    },
    async run(ctx, args) {
      const to = requiredStr(args.flags.to, 'to', 'the registry to push to');
      const engine = ctx.openEngine();
      let last = 0;
      const off = engine.events.on('registry.pushProgress', (p) => {
        if (ctx.json || Date.now() - last < 1000) return;
        last = Date.now();
        ctx.io.stderr(`${progressLine(p)}\n`);
      });
      try {
        const p = await engine.call('registries.push', {
          approval: args.positionals[0]!,
          to,
          ...(str(args.flags.model) ? { model: str(args.flags.model)! } : {}),
          ...(str(args.flags.version) ? { version: str(args.flags.version)! } : {}),
        });
        ctx.print(p, () => `Pushed ${p.model}@${p.version} to ${p.registry}: ${p.manifestDigest}\n${progressLine(p)}\n`);
        return 0;
      } finally {
        off();
        engine.close();
      }
    },
  },
  {
    path: ['registry', 'pushes'],
    summary: 'Pushes, newest first, with their state',
    positionals: [{ name: 'NAME', required: false, help: 'Only this registry' }],
    flags: {},
    async run(ctx, args) {
      const list = await withEngine(ctx, (call) => call('registries.pushes', args.positionals[0] ? { registry: args.positionals[0] } : {}));
      ctx.print(list, () =>
        list.length
          ? table(
              ['REGISTRY', 'MODEL', 'STATUS', 'BYTES', 'STARTED', 'ERROR'],
              list.map((p) => [p.registry, `${p.model}@${p.version}`, p.status, `${mib(p.bytesDone)}/${mib(p.bytesTotal)}`, when(p.startedAt), p.error ?? '']),
            )
          : 'No pushes.\n',
      );
      return 0;
    },
  },
  {
    path: ['registry', 'show'],
    summary: 'Models in a registry: versions, aliases and their history',
    positionals: [REG],
    flags: {},
    async run(ctx, args) {
      const models = await withEngine(ctx, (call) => call('registries.models', { name: args.positionals[0]! }));
      ctx.print(models, () =>
        models.length
          ? models
              .map(
                (m) =>
                  `${m.name}\n  versions: ${m.versions.map((v) => v.version).join(', ') || '—'}\n  aliases: ${m.aliases.map((a) => `${a.alias} -> ${a.version ?? '?'}`).join(', ') || '—'}\n${m.history.map((h) => `  ${h.at} ${h.who} moved ${h.alias}: ${h.from ?? '(none)'} -> ${h.to}`).join('\n')}`,
              )
              .join('\n') + '\n'
          : 'No models.\n',
      );
      return 0;
    },
  },
  {
    path: ['registry', 'alias'],
    summary: 'Move an alias (e.g. production) to a version, only after verifying it; production needs an approve decision',
    positionals: [REG, { name: 'MODEL', required: true, help: 'The model' }, { name: 'VERSION', required: true, help: 'The version' }],
    flags: {
      set: { kind: 'string', value: 'ALIAS', help: 'The alias to move (required)' },
      confirm: { kind: 'string', value: 'MODEL', help: "The model's name typed back (required for production)" },
      'allowed-signers': { kind: 'string', value: 'FILE', help: "Check signers against this file (default: the project's)" },
    },
    async run(ctx, args) {
      const alias = requiredStr(args.flags.set, 'set', 'the alias to move, e.g. production');
      const signers = readSigners(str(args.flags['allowed-signers']));
      const r = await withEngine(ctx, (call) =>
        call('registries.alias', {
          registry: args.positionals[0]!,
          model: args.positionals[1]!,
          version: args.positionals[2]!,
          alias,
          ...(str(args.flags.confirm) ? { confirm: str(args.flags.confirm)! } : {}),
          ...(signers ? { allowedSigners: signers } : {}),
        }),
      );
      ctx.print(r, () => `${r.move.alias}: ${r.move.from ?? '(none)'} -> ${r.move.to} (verified; recorded in the registry)\n`);
      return 0;
    },
  },
  {
    path: ['registry', 'verify'],
    summary: 'Verify a model in a registry: manifest, layer digests against the approval, signature, signer rights, chain (--deep: the bytes too)',
    positionals: [REG, { name: 'MODEL[@VERSION|:ALIAS]', required: true, help: 'The model (default alias: production)' }],
    flags: {
      'allowed-signers': { kind: 'string', value: 'FILE', help: "Check signers against this file (default: the project's, else the registry's)" },
      deep: { kind: 'boolean', help: 'Download and hash every file' },
      'approval-out': { kind: 'string', value: 'DIR', help: 'Also write approval.json and approval.json.sig there (for ssh-keygen -Y verify)' },
    },
    async run(ctx, args) {
      const signers = readSigners(str(args.flags['allowed-signers']));
      const out = str(args.flags['approval-out']);
      const v = await withEngine(ctx, (call) =>
        call('registries.verify', {
          registry: args.positionals[0]!,
          ref: args.positionals[1]!,
          deep: Boolean(args.flags.deep),
          ...(signers ? { allowedSigners: signers } : {}),
          ...(out ? { approvalOut: path.resolve(out) } : {}),
        }),
      );
      const { report: _report, ...shown } = v;
      ctx.print(shown, () => showVerify(v) + (out ? `Wrote ${path.join(out, 'approval.json')} and its .sig\n` : ''));
      return v.ok ? 0 : 1;
    },
  },
  {
    path: ['registry', 'pull'],
    summary: 'Download a model after verifying it; a file whose digest differs is refused',
    positionals: [REG, { name: 'MODEL[@VERSION|:ALIAS]', required: true, help: 'The model (default alias: production)' }],
    flags: {
      to: { kind: 'string', value: 'DIR', help: 'Where to put the files (required)' },
      'allowed-signers': { kind: 'string', value: 'FILE', help: "Check signers against this file (default: the project's, else the registry's)" },
    },
    async run(ctx, args) {
      const to = requiredStr(args.flags.to, 'to', 'the folder to download into');
      const signers = readSigners(str(args.flags['allowed-signers']));
      const r = await withEngine(ctx, (call) =>
        call('registries.pull', { registry: args.positionals[0]!, ref: args.positionals[1]!, to: path.resolve(to), ...(signers ? { allowedSigners: signers } : {}) }),
      );
      ctx.print(r, () =>
        keyValues([
          ['model', `${r.verify.model}@${r.verify.version}`],
          ['approved by', r.verify.reviewer ?? '—'],
          ['files', r.files.join('\n       ')],
        ]),
      );
      return 0;
    },
  },
];
