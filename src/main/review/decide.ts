// The reviewer's side of the red button: check the decision against the bundle's report and rules,
// build the statement, sign it with the reviewer's SSH key (agent first, else a key file whose
// passphrase stays in memory), keep it, and hand back the one file that travels to the requester.
import type Database from 'better-sqlite3';
import { DECISION_FORMAT, DECISION_VERSION, SIGNATURE_NAMESPACE, type DecisionFile, type DecideInput } from '../../shared/domain/review';
import type { z } from 'zod';
import { EngineError } from '../errors';
import { agentSigners, signerFromKeyFile, signSshsig, type SshSigner } from '../signing/sshsig';
import { findPrincipals, parseAllowedSigners } from '../signing/allowed-signers';
import type { BundleStore } from './bundle';
import { sha256Hex } from './bundle';
import type { Identity } from './identity';
import { buildStatement, checkDecision, stableJson } from './statement';

export interface DecideDeps {
  db: Database.Database;
  bundles: BundleStore;
  identity: Identity;
  /** Key passphrases given this session (hosts.unlockKey), in memory only. */
  passphrases: Map<string, string>;
  agentSocket: string | undefined;
}

/** The key to sign with: a key file when named, else the agent's key with this fingerprint, or its only one. */
export async function chooseSigner(deps: Pick<DecideDeps, 'passphrases' | 'agentSocket'>, keyFile?: string, fingerprint?: string): Promise<SshSigner> {
  if (keyFile) return signerFromKeyFile(keyFile, deps.passphrases.get(keyFile));
  if (!deps.agentSocket)
    throw new EngineError('KEY_NOT_FOUND', 'No SSH agent is running (SSH_AUTH_SOCK is not set), and no key file was given. Start ssh-agent and ssh-add your key, or give --key FILE.');
  const keys = await agentSigners(deps.agentSocket);
  const match = fingerprint ? keys.filter((k) => k.fingerprint === fingerprint) : keys;
  if (match.length === 1) return match[0]!;
  if (match.length === 0)
    throw new EngineError(
      'KEY_NOT_FOUND',
      fingerprint ? `The SSH agent has no key ${fingerprint}. Its keys: ${keys.map((k) => k.fingerprint).join(', ') || 'none'}.` : 'The SSH agent holds no key. ssh-add your key, or give --key FILE.',
    );
  throw new EngineError('KEY_NOT_FOUND', `The SSH agent holds ${match.length} keys; say which one signs (--fingerprint): ${match.map((k) => `${k.fingerprint} (${k.keyType})`).join(', ')}.`);
}

export async function decide(deps: DecideDeps, input: z.output<typeof DecideInput>): Promise<{ file: DecisionFile; digest: string; reviewer: string }> {
  const row = deps.bundles.row(input.bundle);
  const manifest = deps.bundles.manifest(row.id);
  const report = deps.bundles.report(row.id);
  if (input.confirm.trim() !== manifest.project.name)
    throw new EngineError('DECISION_REFUSED', `To sign, type the project's name exactly: "${manifest.project.name}" (--confirm "${manifest.project.name}"). Nothing was signed.`);
  const request = { decision: input.decision, comment: input.comment, waivers: input.waivers, override: input.override?.trim() || null };
  checkDecision(report, request);
  const signer = await chooseSigner(deps, input.keyFile, input.fingerprint);

  // Who signs: the principal given, or the one the bundle's allowed_signers lists for this key, or this user.
  const signersText = deps.bundles.allowedSigners(row.id);
  const listed = signersText ? findPrincipals(parseAllowedSigners(signersText), signer.publicKey, SIGNATURE_NAMESPACE, new Date()) : [];
  const plain = listed.filter((p) => !/[*?!,]/.test(p));
  const reviewer = input.reviewer?.trim() || (plain.length === 1 ? plain[0]! : deps.identity.get());
  if (signersText && listed.length === 0)
    throw new EngineError(
      'SIGNER_NOT_ALLOWED',
      `The key ${signer.fingerprint} is not in the project's allowed signers (as the bundle carries them), so the requester would refuse this decision. Sign with a listed key, or ask for yours to be added.`,
    );
  if (manifest.rules.forbidSelfApproval && input.decision === 'approve' && manifest.candidate.proposedBy && manifest.candidate.proposedBy === reviewer)
    throw new EngineError('DECISION_REFUSED', `${reviewer} proposed this candidate, and ${manifest.project.name} forbids approving one's own candidate. Another reviewer must approve it.`);

  const statement = buildStatement({ manifest, bundleId: row.id, report, request, reviewer: { id: reviewer, keyFingerprint: signer.fingerprint, keyType: signer.keyType }, time: new Date() });
  const payload = stableJson(statement);
  const signature = await signSshsig(Buffer.from(payload), SIGNATURE_NAMESPACE, signer);
  const digest = `sha256:${sha256Hex(payload)}`;
  deps.db
    .prepare('INSERT OR IGNORE INTO signed_decisions (digest, bundle_id, payload, signature, decision, reviewer, signed_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(digest, row.id, payload, signature, input.decision, reviewer, Date.now());
  return { file: { format: DECISION_FORMAT, version: DECISION_VERSION, statement: payload, signature }, digest, reviewer };
}

/** A decision signed here, as the file that travels to the requester. */
export function signedDecisionFile(db: Database.Database, digest: string): DecisionFile {
  const row = db.prepare<[string], { payload: string; signature: string }>('SELECT payload, signature FROM signed_decisions WHERE digest = ?').get(digest);
  if (!row) throw new EngineError('APPROVAL_NOT_FOUND', `No decision ${digest.slice(0, 80)} was signed in this data directory.`);
  return { format: DECISION_FORMAT, version: DECISION_VERSION, statement: row.payload, signature: row.signature };
}
