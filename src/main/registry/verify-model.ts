// What makes a model in a registry trustworthy, checked from what the registry holds alone (so it
// works years later, in a data directory that never saw the run): the approval's signature, the
// signer's right to sign, the chain of the project's decisions up to it, and the model's files being
// exactly the approved bytes (layer digests against the statement; with --deep, the bytes themselves).
import { ApprovalStatement, SIGNATURE_NAMESPACE } from '../../shared/domain/review';
import type { RegistryVerify } from '../../shared/domain/registry';
import { parseAllowedSigners, principalAllowed } from '../signing/allowed-signers';
import { verifySshsig } from '../signing/sshsig';
import { rootDigest, sha256, type ModelFile } from './modelpack';

export interface SignedDecision {
  payload: string;
  signature: string;
}

export interface StoredModel {
  model: string;
  version: string;
  manifestDigest: string | null;
  files: ModelFile[];
  /** The approval attached to the model, and the project's decisions up to it, oldest first. */
  approval: (SignedDecision & { chain: SignedDecision[] }) | null;
}

type Check = RegistryVerify['checks'][number];

function checkSigned(d: SignedDecision, signers: ReturnType<typeof parseAllowedSigners> | null): { statement: ApprovalStatement | null; problem: string | null } {
  let statement: ApprovalStatement;
  try {
    statement = ApprovalStatement.parse(JSON.parse(d.payload));
  } catch {
    return { statement: null, problem: 'it is not an approval statement' };
  }
  try {
    const key = verifySshsig(Buffer.from(d.payload), d.signature, SIGNATURE_NAMESPACE);
    if (key.fingerprint !== statement.predicate.reviewer.keyFingerprint) return { statement, problem: `it was signed by ${key.fingerprint}, not the key it names` };
    if (signers && !principalAllowed(signers, statement.predicate.reviewer.id, key.publicKey, SIGNATURE_NAMESPACE, new Date(statement.predicate.time)))
      return { statement, problem: `${key.fingerprint} is not allowed to sign for ${statement.predicate.reviewer.id}` };
  } catch (err) {
    return { statement, problem: `the signature does not verify: ${(err as Error).message}` };
  }
  return { statement, problem: null };
}

export function verifyStoredModel(m: StoredModel, allowedSigners: string | null, options: { needApprove?: boolean } = {}): RegistryVerify {
  const checks: Check[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const base = { model: m.model, version: m.version, manifestDigest: m.manifestDigest };
  if (!m.approval) {
    add('approval', false, 'no approval is attached to this model');
    return { ...base, ok: false, approval: null, reviewer: null, decision: null, checks, summary: `${m.model}@${m.version} has no approval attached.` };
  }
  let signers: ReturnType<typeof parseAllowedSigners> | null = null;
  try {
    signers = allowedSigners?.trim() ? parseAllowedSigners(allowedSigners) : null;
  } catch (err) {
    add('allowed signers', false, (err as Error).message);
  }
  if (!signers) add('allowed signers', false, "no allowed signers to check the signer against: give the project's allowed_signers file");
  const digest = `sha256:${sha256(m.approval.payload)}`;
  const own = checkSigned(m.approval, signers);
  add('signature', own.problem === null, own.problem ?? `signed by ${own.statement?.predicate.reviewer.id} (${own.statement?.predicate.reviewer.keyFingerprint}), allowed`);
  const statement = own.statement;
  if (statement) {
    const root = rootDigest(m.files);
    const subject = statement.subject[0]?.digest.sha256 ?? '';
    add(
      'model bytes',
      root === subject,
      root === subject ? `the layers are the approved files (root sha256:${root.slice(0, 16)}…)` : `the layers make sha256:${root.slice(0, 16)}…, the approval is for sha256:${subject.slice(0, 16)}…`,
    );
    const byPath = new Map(m.files.map((f) => [f.path, f]));
    const differ = statement.predicate.files.filter((f) => byPath.get(f.path)?.sha256 !== f.sha256 || byPath.get(f.path)?.size !== f.size).map((f) => f.path);
    add('files', differ.length === 0 && statement.predicate.files.length === m.files.length, differ.length ? `not as approved: ${differ.join(', ')}` : `${m.files.length} file(s), each as approved`);
    if (options.needApprove || statement.predicate.decision !== 'approve')
      add(
        'decision',
        statement.predicate.decision === 'approve',
        `${statement.predicate.decision} by ${statement.predicate.reviewer.id}${statement.predicate.override ? ` (override: ${statement.predicate.override})` : ''}`,
      );
    // The chain: every decision up to this one verifies and follows the one before.
    const chain = m.approval.chain;
    let previous: string | null = null;
    let chainProblem: string | null = null;
    chain.forEach((link, i) => {
      if (chainProblem) return;
      const r = checkSigned(link, signers);
      if (r.problem) chainProblem = `decision #${i + 1} fails: ${r.problem}`;
      else if (r.statement!.predicate.previous !== previous)
        chainProblem = `decision #${i + 1} follows ${r.statement!.predicate.previous ?? 'nothing'}, not ${previous ?? 'nothing'}: a link is missing or out of order`;
      previous = `sha256:${sha256(link.payload)}`;
    });
    if (!chainProblem && chain.length && previous !== digest) chainProblem = 'the chain does not end at this approval';
    if (!chainProblem && chain.length === 0 && statement.predicate.previous !== null) chainProblem = 'the approval follows earlier decisions the registry does not hold';
    add('chain', chainProblem === null, chainProblem ?? `${chain.length || 1} decision(s), each signed and chained`);
  }
  const failed = checks.filter((c) => !c.ok);
  return {
    ...base,
    ok: failed.length === 0,
    approval: digest,
    reviewer: statement?.predicate.reviewer.id ?? null,
    decision: statement?.predicate.decision ?? null,
    checks,
    summary: failed.length
      ? `${m.model}@${m.version} does not verify: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}.`
      : `${m.model}@${m.version} verifies: approved by ${statement?.predicate.reviewer.id}, ${m.files.length} file(s), chain whole.`,
  };
}
