// Review bundles, signed decisions (in-toto statements with an SSHSIG), the project's chain of
// approvals, and the rules that say who may approve.
import { z } from 'zod';
import { ModelInfo, Verdict } from './testing';

export const BUNDLE_FORMAT = 'tunebench.review-bundle';
export const BUNDLE_VERSION = 1;
export const DECISION_FORMAT = 'tunebench.decision';
export const DECISION_VERSION = 1;
/** The SSHSIG namespace of every approval: `ssh-keygen -Y verify -n tunebench-approval`. */
export const SIGNATURE_NAMESPACE = 'tunebench-approval';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://tunebench.dev/approval/v1';

export const BundleFile = z.object({ path: z.string(), sha256: z.string(), size: z.number().int() });

export const BundleManifest = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.number().int(),
  createdAt: z.string(),
  project: z.object({ id: z.string(), name: z.string() }),
  testRun: z.object({ id: z.string(), verdict: Verdict.nullable(), reportSha256: z.string(), reportJsonSha256: z.string() }),
  suite: z.object({ name: z.string(), version: z.string(), digest: z.string() }),
  candidate: z.object({ runId: z.string(), checkpoint: z.string().nullable(), proposedBy: z.string().nullable() }),
  models: z.array(ModelInfo),
  /** The project's last decision when the bundle was made: a decision on it chains to this. */
  chain: z.object({ head: z.string().nullable(), length: z.number().int() }),
  rules: z.object({ forbidSelfApproval: z.boolean(), requiredApprovals: z.number().int() }),
  files: z.array(BundleFile),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export const ReviewBundle = z.object({
  id: z.string(),
  origin: z.enum(['exported', 'imported']),
  projectId: z.string(),
  projectName: z.string(),
  testRunId: z.string(),
  verdict: Verdict.nullable(),
  suite: z.string(),
  candidate: z.string(),
  createdAt: z.number(),
  /** Decisions signed on this machine about this bundle. */
  decisions: z.array(
    z.object({
      digest: z.string(),
      decision: z.string(),
      reviewer: z.string(),
      signedAt: z.number(),
      /** Checked again on every read: the signature over the stored bytes, and the key against the bundle's allowed signers. */
      verified: z.boolean(),
      problem: z.string().nullable(),
    }),
  ),
});
export type ReviewBundle = z.infer<typeof ReviewBundle>;

export const DecisionKind = z.enum(['approve', 'reject', 'request-changes']);
export type DecisionKind = z.infer<typeof DecisionKind>;

/** The in-toto Statement v1 a reviewer signs. Its exact bytes are what the signature covers. */
export const ApprovalStatement = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.object({ name: z.string(), digest: z.record(z.string(), z.string()) })).min(1),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: z.object({
    decision: DecisionKind,
    time: z.string(),
    comment: z.string(),
    reviewer: z.object({ id: z.string(), keyFingerprint: z.string(), keyType: z.string() }),
    project: z.object({ id: z.string(), name: z.string() }),
    candidate: z.object({ runId: z.string(), checkpoint: z.string().nullable(), proposedBy: z.string().nullable() }),
    testRun: z.string(),
    bundle: z.string(),
    files: z.array(BundleFile.omit({ size: true }).extend({ size: z.number() })),
    evidence: z.object({
      reportSha256: z.string(),
      reportJsonSha256: z.string(),
      suite: z.object({ name: z.string(), version: z.string(), digest: z.string() }),
      verdict: Verdict.nullable(),
      gates: z.array(z.object({ id: z.string(), outcome: z.string(), summary: z.string() })),
    }),
    lineage: z.record(z.string(), z.unknown()),
    waivers: z.array(z.object({ caseId: z.string(), reason: z.string() })),
    /** Why a FAIL or INCONCLUSIVE verdict was approved anyway; signed with the rest. */
    override: z.string().nullable(),
    /** The digest (sha256:...) of the project's decision before this one; null for the first. */
    previous: z.string().nullable(),
  }),
});
export type ApprovalStatement = z.infer<typeof ApprovalStatement>;

export const Approval = z.object({
  digest: z.string(),
  seq: z.number().int(),
  previous: z.string().nullable(),
  projectId: z.string(),
  testRunId: z.string(),
  decision: DecisionKind,
  reviewer: z.string(),
  fingerprint: z.string(),
  time: z.string(),
  comment: z.string(),
  override: z.string().nullable(),
  waivers: z.array(z.object({ caseId: z.string(), reason: z.string() })),
  modelDigest: z.string(),
  importedAt: z.number(),
});
export type Approval = z.infer<typeof Approval>;

export const VerifyLink = z.object({ digest: z.string(), seq: z.number().int(), ok: z.boolean(), problems: z.array(z.string()) });
export const VerifyResult = z.object({ ok: z.boolean(), links: z.array(VerifyLink), summary: z.string() });
export type VerifyResult = z.infer<typeof VerifyResult>;

/** Where a test run's candidate stands: distinct approvers against the number needed, and the required suites. */
export const ApprovalStatus = z.object({
  testRun: z.string(),
  approvers: z.array(z.string()),
  required: z.number().int(),
  missingSuites: z.array(z.string()),
  approved: z.boolean(),
  summary: z.string(),
});
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const ApprovalRules = z.object({
  allowedSigners: z.string(),
  signers: z.array(z.object({ principals: z.string(), keyType: z.string(), fingerprint: z.string(), namespaces: z.string().nullable() })),
  forbidSelfApproval: z.boolean(),
  requiredApprovals: z.number().int().min(1).max(10),
});
export type ApprovalRules = z.infer<typeof ApprovalRules>;

export const SigningKey = z.object({ source: z.enum(['agent', 'file']), fingerprint: z.string(), keyType: z.string(), comment: z.string() });

const Id = z.string().trim().min(1).max(200);
export const ExportBundleInput = z.strictObject({ testRun: Id });
export const ImportBundleInput = z.strictObject({
  /** An upload in parts (the WebSocket carries at most a few MB a message): omit for the first part. */
  uploadId: z.string().max(64).optional(),
  dataBase64: z.string().max(3 * 1024 * 1024),
  done: z.boolean(),
  fileName: z.string().max(500),
});
export const DecideInput = z.strictObject({
  bundle: Id,
  decision: DecisionKind,
  comment: z.string().max(20_000),
  waivers: z.array(z.object({ caseId: z.string().min(1).max(200), reason: z.string().trim().min(1, 'A waiver needs a reason.').max(5000) })).max(1000),
  override: z.string().trim().max(5000).optional(),
  /** The project's name typed back: the deliberate step of the red button. */
  confirm: z.string().max(200),
  /** A key file; without it the SSH agent's key (the one with this fingerprint, or the only one). */
  keyFile: z.string().max(4096).optional(),
  fingerprint: z.string().max(200).optional(),
  /** Who the reviewer is in the project's allowed signers; by default the principal the key is listed under. */
  reviewer: z.string().max(200).optional(),
});
export const DecisionFile = z.object({
  format: z.literal(DECISION_FORMAT),
  version: z.number().int(),
  /** approval.json: the statement's exact bytes, as signed. */
  statement: z.string(),
  /** approval.json.sig: the armored SSHSIG. */
  signature: z.string(),
});
export type DecisionFile = z.infer<typeof DecisionFile>;
