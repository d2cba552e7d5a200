// `tunebench review ...` (bundles and the reviewer's signed decision), `tunebench approval ...` (the
// requester's chain of decisions), `project set-signers` and `whoami`.
import fs from 'node:fs';
import path from 'node:path';
import type { Approval, VerifyResult } from '../../../shared/domain/review';
import { EngineError } from '../../errors';
import type { Command } from '../command';
import { requiredStr, str, usageError } from '../args';
import { keyValues, oneLine, table } from '../format';
import { withEngine } from '../with-engine';

const BUNDLE = [{ name: 'BUNDLE', required: true, help: 'The bundle id (a prefix will do) or its test run id' }];

function showApproval(a: Approval): string {
  return keyValues([
    ['approval', a.digest],
    ['decision', a.decision],
    ['reviewer', `${a.reviewer} (${a.fingerprint})`],
    ['time', a.time],
    ['model', `sha256:${a.modelDigest}`],
    ['test run', a.testRunId],
    ['chain', `#${a.seq}, after ${a.previous ?? 'nothing (the first)'}`],
    ...(a.override ? ([['override', a.override]] as [string, string][]) : []),
    ...(a.waivers.length ? ([['waivers', a.waivers.map((w) => `${w.caseId}: ${w.reason}`).join('; ')]] as [string, string][]) : []),
    ['comment', a.comment || '—'],
  ]);
}

function showVerify(v: VerifyResult): string {
  const lines = v.links.map((l) => `#${l.seq} ${l.digest.slice(0, 23)}… ${l.ok ? 'ok' : `BROKEN: ${l.problems.join('; ')}`}`);
  return `${lines.join('\n')}${lines.length ? '\n' : ''}${v.ok ? 'OK' : 'FAILED'}: ${v.summary}\n`;
}

export const reviewCommands: Command[] = [
  {
    path: ['review', 'export'],
    summary: "Write a finished test run's review bundle: reports, suite, per-case records, lineage, with every file's sha256 (never weights)",
    positionals: [{ name: 'TESTRUN', required: true, help: 'The test run id' }],
    flags: { out: { kind: 'string', value: 'FILE.zip', help: 'Where to write it (required)' } },
    async run(ctx, args) {
      const out = requiredStr(args.flags.out, 'out', 'the zip file to write');
      const r = await withEngine(ctx, (call) => call('reviews.export', { testRun: args.positionals[0]!, out: path.resolve(out) }));
      ctx.print(r, () => `Wrote ${out} (${(r.bytes / 1024).toFixed(1)} KiB): bundle ${r.manifestSha256}, ${r.bundle.suite}, verdict ${r.bundle.verdict ?? '—'}\n`);
      return 0;
    },
  },
  {
    path: ['review', 'import'],
    summary: 'Import a review bundle (works offline, with no hosts); every file is checked against its manifest first',
    positionals: [{ name: 'FILE.zip', required: true, help: 'The bundle' }],
    flags: {},
    async run(ctx, args) {
      const b = await withEngine(ctx, (call) => call('reviews.importFile', { file: path.resolve(args.positionals[0]!) }));
      ctx.print(b, () => `Imported bundle ${b.id} of ${b.projectName}: ${b.suite}, candidate ${b.candidate}, verdict ${b.verdict ?? '—'}\n`);
      return 0;
    },
  },
  {
    path: ['review', 'list'],
    summary: 'List review bundles made or imported here, with the decisions signed here',
    positionals: [],
    flags: {},
    async run(ctx) {
      const list = await withEngine(ctx, (call) => call('reviews.list', {}));
      ctx.print(list, () =>
        list.length
          ? table(
              ['BUNDLE', 'ORIGIN', 'PROJECT', 'SUITE', 'VERDICT', 'DECISIONS'],
              list.map((b) => [b.id.slice(0, 16), b.origin, b.projectName, b.suite, b.verdict ?? '—', b.decisions.map((d) => `${d.decision} by ${d.reviewer}`).join(', ') || '—']),
            )
          : 'No review bundles.\n',
      );
      return 0;
    },
  },
  {
    path: ['review', 'show'],
    summary: 'Show a bundle: what a decision on it would sign',
    positionals: BUNDLE,
    flags: {},
    async run(ctx, args) {
      const r = await withEngine(ctx, (call) => call('reviews.get', { bundle: args.positionals[0]! }));
      const cand = r.manifest.models.find((m) => m.role === 'candidate');
      ctx.print(r.bundle, () =>
        keyValues([
          ['bundle', `sha256:${r.bundle.id}`],
          ['project', r.manifest.project.name],
          ['verdict', `${r.report.comparison.verdict}: ${oneLine(r.report.comparison.reason, 160)}`],
          ['candidate', `${r.bundle.candidate} (model sha256:${cand?.rootDigest ?? '?'})`],
          ['report', `sha256:${r.manifest.testRun.reportSha256}`],
          ['suite', `${r.bundle.suite} (${r.manifest.suite.digest})`],
          ['proposed by', r.manifest.candidate.proposedBy ?? '—'],
          ['chain head', r.manifest.chain.head ?? 'none (the first decision)'],
        ]),
      );
      return 0;
    },
  },
  {
    path: ['review', 'decide'],
    summary: 'Sign a decision on a bundle with your SSH key (the agent, or --key) and write the decision file for the requester',
    positionals: BUNDLE,
    flags: {
      approve: { kind: 'boolean', help: 'Approve the candidate' },
      reject: { kind: 'boolean', help: 'Reject it' },
      'request-changes': { kind: 'boolean', help: 'Ask for changes' },
      comment: { kind: 'string', value: 'TEXT', help: 'Your comment (signed)' },
      waive: { kind: 'list', value: 'CASE=REASON', help: 'Waive a case, with a reason (repeatable)' },
      override: { kind: 'string', value: 'REASON', help: 'Why a FAIL or INCONCLUSIVE verdict is approved anyway (required then)' },
      key: { kind: 'string', value: 'FILE', help: 'Sign with this private key file instead of the SSH agent' },
      fingerprint: { kind: 'string', value: 'SHA256:...', help: "Which of the agent's keys signs" },
      reviewer: { kind: 'string', value: 'PRINCIPAL', help: 'Your name in allowed_signers (default: the one your key is listed under)' },
      confirm: { kind: 'string', value: 'PROJECT', help: "The project's name typed back (required: this is the red button)" },
      out: { kind: 'string', value: 'FILE', help: 'Where to write the decision file (required)' },
    },
    async run(ctx, args) {
      const chosen = (['approve', 'reject', 'request-changes'] as const).filter((d) => args.flags[d]);
      if (chosen.length !== 1) throw usageError('Give exactly one of --approve, --reject or --request-changes.');
      const confirm = requiredStr(args.flags.confirm, 'confirm', "the project's name typed back, to confirm you mean it");
      const out = requiredStr(args.flags.out, 'out', 'the decision file to write');
      const waivers = ((args.flags.waive as string[] | undefined) ?? []).map((w) => {
        const i = w.indexOf('=');
        if (i <= 0 || !w.slice(i + 1).trim()) throw usageError(`--waive ${w.slice(0, 60)}: write CASE="reason".`);
        return { caseId: w.slice(0, i).trim(), reason: w.slice(i + 1).trim() };
      });
      const keyFile = str(args.flags.key);
      const r = await withEngine(ctx, (call) =>
        call('reviews.decide', {
          bundle: args.positionals[0]!,
          decision: chosen[0]!,
          comment: str(args.flags.comment) ?? '',
          waivers,
          confirm,
          ...(str(args.flags.override) ? { override: str(args.flags.override)! } : {}),
          ...(keyFile ? { keyFile: path.resolve(keyFile) } : {}),
          ...(str(args.flags.fingerprint) ? { fingerprint: str(args.flags.fingerprint)! } : {}),
          ...(str(args.flags.reviewer) ? { reviewer: str(args.flags.reviewer)! } : {}),
        }),
      );
      fs.writeFileSync(out, `${JSON.stringify(r.file, null, 2)}\n`);
      ctx.print(
        { digest: r.digest, reviewer: r.reviewer, file: path.resolve(out) },
        () => `Signed ${chosen[0]} as ${r.reviewer}: ${r.digest}\nSend ${out} to the requester: \`tunebench approval import ${out}\`.\n`,
      );
      return 0;
    },
  },
  {
    path: ['approval', 'import'],
    summary: "Record a reviewer's decision file after checking its signature, the signer's rights, the model, the evidence and the chain",
    positionals: [{ name: 'FILE', required: true, help: 'The decision file' }],
    flags: {},
    async run(ctx, args) {
      let text: string;
      try {
        text = fs.readFileSync(args.positionals[0]!, 'utf8');
      } catch (err) {
        throw new EngineError('VALIDATION_FAILED', `Cannot read ${args.positionals[0]}: ${(err as Error).message}.`);
      }
      const a = await withEngine(ctx, (call) => call('approvals.import', { text }));
      ctx.print(a, () => `Recorded: ${a.decision} by ${a.reviewer}, #${a.seq} in the chain (${a.digest})\n`);
      return 0;
    },
  },
  {
    path: ['approval', 'list'],
    summary: "A project's decisions, in chain order",
    positionals: [],
    flags: { project: { kind: 'string', value: 'P', help: 'The project (required)' } },
    async run(ctx, args) {
      const project = requiredStr(args.flags.project, 'project', 'the project');
      const list = await withEngine(ctx, (call) => call('approvals.list', { project }));
      ctx.print(list, () =>
        list.length
          ? table(
              ['#', 'DECISION', 'REVIEWER', 'TEST RUN', 'TIME', 'APPROVAL'],
              list.map((a) => [String(a.seq), a.decision + (a.override ? ' (override)' : ''), a.reviewer, a.testRunId, a.time, a.digest.slice(0, 23)]),
            )
          : 'No decisions yet.\n',
      );
      return 0;
    },
  },
  {
    path: ['approval', 'show'],
    summary: 'Show one decision',
    positionals: [{ name: 'ID', required: true, help: 'The approval digest (a prefix will do)' }],
    flags: {},
    async run(ctx, args) {
      const a = await withEngine(ctx, (call) => call('approvals.get', { id: args.positionals[0]! }));
      ctx.print(a, () => showApproval(a));
      return 0;
    },
  },
  {
    path: ['approval', 'verify'],
    summary: "Verify a decision (or all), and with --chain the whole chain: signatures, signers' rights, digests, order",
    positionals: [{ name: 'ID', required: false, help: 'One approval (default: every one)' }],
    flags: {
      project: { kind: 'string', value: 'P', help: "The project (default: the approval's)" },
      chain: { kind: 'boolean', help: 'Also check that each decision follows the one before' },
    },
    async run(ctx, args) {
      const project = str(args.flags.project);
      if (!project && !args.positionals[0]) throw usageError('Give --project P (every decision of the project), or an approval ID.');
      const v = await withEngine(ctx, (call) =>
        call('approvals.verify', { ...(project ? { project } : {}), chain: Boolean(args.flags.chain), ...(args.positionals[0] ? { id: args.positionals[0] } : {}) }),
      );
      ctx.print(v, () => showVerify(v));
      return v.ok ? 0 : 1;
    },
  },
  {
    path: ['approval', 'export'],
    summary: 'Write approval.json, approval.json.sig and allowed_signers, for `ssh-keygen -Y verify`',
    positionals: [{ name: 'ID', required: true, help: 'The approval digest (a prefix will do)' }],
    flags: { out: { kind: 'string', value: 'DIR', help: 'The folder to write them in (required)' } },
    async run(ctx, args) {
      const dir = requiredStr(args.flags.out, 'out', 'the folder to write the files in');
      const r = await withEngine(ctx, (call) => call('approvals.export', { id: args.positionals[0]!, dir: path.resolve(dir) }));
      ctx.print(
        r,
        () =>
          `Wrote ${r.files.join(', ')}\nVerify with: ssh-keygen -Y verify -f ${path.join(dir, 'allowed_signers')} -I ${r.reviewer} -n tunebench-approval -s ${path.join(dir, 'approval.json.sig')} < ${path.join(dir, 'approval.json')}\n`,
      );
      return 0;
    },
  },
  {
    path: ['project', 'set-signers'],
    summary: 'Say who may approve: an OpenSSH allowed_signers file, self-approval, and how many approvals a candidate needs',
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: {
      file: { kind: 'string', value: 'FILE', help: 'allowed_signers (OpenSSH format)' },
      'allow-self-approval': { kind: 'boolean', help: 'Let the proposer of a candidate approve it' },
      'forbid-self-approval': { kind: 'boolean', help: "Refuse approvals by the candidate's proposer (the default)" },
      'required-approvals': { kind: 'number', value: 'N', help: 'Distinct reviewers a candidate needs (default 1)' },
    },
    async run(ctx, args) {
      const file = str(args.flags.file);
      let allowedSigners: string | undefined;
      if (file) {
        try {
          allowedSigners = fs.readFileSync(file, 'utf8');
        } catch (err) {
          throw new EngineError('VALIDATION_FAILED', `Cannot read ${file}: ${(err as Error).message}.`);
        }
      }
      if (args.flags['allow-self-approval'] && args.flags['forbid-self-approval']) throw usageError('Give --allow-self-approval or --forbid-self-approval, not both.');
      const selfRule = args.flags['allow-self-approval'] ? { forbidSelfApproval: false } : args.flags['forbid-self-approval'] ? { forbidSelfApproval: true } : {};
      const r = await withEngine(ctx, (call) =>
        call('approvals.setRules', {
          project: args.positionals[0]!,
          ...(allowedSigners !== undefined ? { allowedSigners } : {}),
          ...selfRule,
          ...(typeof args.flags['required-approvals'] === 'number' ? { requiredApprovals: args.flags['required-approvals'] } : {}),
        }),
      );
      ctx.print(r, () =>
        keyValues([
          ['signers', r.signers.map((s) => `${s.principals} ${s.keyType} ${s.fingerprint}${s.namespaces ? ` (${s.namespaces})` : ''}`).join('\n         ') || 'none'],
          ['self-approval', r.forbidSelfApproval ? 'forbidden' : 'allowed'],
          ['approvals needed', String(r.requiredApprovals)],
        ]),
      );
      return 0;
    },
  },
  {
    path: ['whoami'],
    summary: 'Show (or --set) who you are here: the principal recorded as the proposer of candidates',
    positionals: [],
    flags: { set: { kind: 'string', value: 'PRINCIPAL', help: 'e.g. alice@example.com, as in allowed_signers' } },
    async run(ctx, args) {
      const set = str(args.flags.set);
      const r = await withEngine(ctx, (call) => (set !== undefined ? call('identity.set', { identity: set }) : call('identity.get', {})));
      ctx.print(r, () => `${r.identity}\n`);
      return 0;
    },
  },
];
