// Model registries: an OCI registry (CNCF ModelPack layout, approval and report attached as referrers)
// or a directory on an SSH host; pushes with progress, versions, aliases, and verification.
import { z } from 'zod';
import { looksLikeId } from '../ids';

/** ModelPack media types (CNCF model-spec) and ours for what we attach. */
export const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  modelArtifact: 'application/vnd.cncf.model.manifest.v1+json',
  modelConfig: 'application/vnd.cncf.model.config.v1+json',
  weight: 'application/vnd.cncf.model.weight.v1.raw',
  empty: 'application/vnd.oci.empty.v1+json',
  approvalArtifact: 'application/vnd.tunebench.approval.v1',
  statement: 'application/vnd.in-toto+json',
  sshsig: 'application/vnd.tunebench.sshsig',
  chain: 'application/vnd.tunebench.approval-chain.v1+jsonl',
  reportArtifact: 'application/vnd.tunebench.report.v1',
  reportHtml: 'text/html',
  reportJson: 'application/vnd.tunebench.report.v1+json',
  aliasArtifact: 'application/vnd.tunebench.alias-move.v1',
  aliasMove: 'application/vnd.tunebench.alias-move.v1+json',
} as const;
export const FILEPATH_ANNOTATION = 'org.cncf.model.filepath';

export const Registry = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['oci', 'ssh']),
  /** oci: https://host[:port]/prefix; ssh: host:/path */
  location: z.string(),
  caFile: z.string().nullable(),
  insecureHttp: z.boolean(),
  username: z.string().nullable(),
  createdAt: z.number(),
});
export type Registry = z.infer<typeof Registry>;

const Name = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'Use letters, digits, dots, dashes and underscores.')
  .refine((n) => !looksLikeId(n), 'A registry name cannot look like an id (26 letters and digits).');
export const AddRegistryInput = z.strictObject({
  name: Name,
  oci: z.string().trim().max(2000).optional(),
  ssh: z.string().trim().max(2000).optional(),
  caFile: z.string().max(4096).optional(),
  insecureHttp: z.boolean().optional(),
  username: z.string().max(200).optional(),
});
export const RegistryRef = z.strictObject({ name: z.string().trim().min(1).max(100) });
export const LoginInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(10_000),
  /** Also keep it where docker keeps registry credentials (its credential helper, else config.json), for later commands. */
  persist: z.boolean().optional(),
});

export const PushInput = z.strictObject({
  approval: z.string().trim().min(1).max(200),
  to: z.string().trim().min(1).max(100),
  model: z.string().trim().max(128).optional(),
  version: z.string().trim().max(128).optional(),
});

export const Push = z.object({
  id: z.string(),
  registry: z.string(),
  approval: z.string(),
  model: z.string(),
  version: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  bytesTotal: z.number(),
  bytesDone: z.number(),
  /** Bytes already in the registry before this attempt (skipped or resumed), not sent again. */
  bytesSkipped: z.number(),
  rateBytesPerSecond: z.number().nullable(),
  secondsLeft: z.number().nullable(),
  manifestDigest: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
});
export type Push = z.infer<typeof Push>;

export const ModelRefInput = z.strictObject({
  registry: z.string().trim().min(1).max(100),
  /** MODEL@VERSION, MODEL:ALIAS, or MODEL (its production alias) */
  ref: z.string().trim().min(1).max(300),
  allowedSigners: z
    .string()
    .max(1024 * 1024)
    .optional(),
  deep: z.boolean().optional(),
});

export const VerifyCheck = z.object({ name: z.string(), ok: z.boolean(), detail: z.string() });
export const RegistryVerify = z.object({
  ok: z.boolean(),
  model: z.string(),
  version: z.string(),
  manifestDigest: z.string().nullable(),
  approval: z.string().nullable(),
  reviewer: z.string().nullable(),
  decision: z.string().nullable(),
  checks: z.array(VerifyCheck),
  summary: z.string(),
});
export type RegistryVerify = z.infer<typeof RegistryVerify>;

export const AliasInput = z.strictObject({
  registry: z.string().trim().min(1).max(100),
  model: z.string().trim().min(1).max(128),
  version: z.string().trim().min(1).max(128),
  alias: z.string().trim().min(1).max(128),
  /** The red button for production: the model's name typed back. */
  confirm: z.string().max(200).optional(),
  allowedSigners: z
    .string()
    .max(1024 * 1024)
    .optional(),
});

export const AliasMove = z.object({ alias: z.string(), from: z.string().nullable(), to: z.string(), who: z.string(), at: z.string(), approval: z.string().nullable() });
export type AliasMove = z.infer<typeof AliasMove>;

export const RegistryModel = z.object({
  name: z.string(),
  versions: z.array(z.object({ version: z.string(), manifestDigest: z.string().nullable() })),
  aliases: z.array(z.object({ alias: z.string(), version: z.string().nullable() })),
  history: z.array(AliasMove),
});
export type RegistryModel = z.infer<typeof RegistryModel>;

export const PullInput = ModelRefInput.extend({ to: z.string().trim().min(1).max(4096) });
