// Hosts: where runs train. `local` is this machine (no SSH); `ssh` is a workstation reached over SSH,
// or, when it has SLURM settings, a cluster's login node: runs are then submitted with sbatch.
import { z } from 'zod';
import { looksLikeId, Ulid } from '../ids';
import { SlurmProbe, SlurmSettings } from './slurm';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
export const HostName = z
  .string()
  .trim()
  .min(1, 'Host name cannot be empty.')
  .max(100)
  .regex(/^[A-Za-z0-9][\w.@-]*$/, 'Host names use letters, digits, ".", "_", "-" and "@", starting with a letter or digit.')
  .refine((n) => !looksLikeId(n), 'A host name cannot look like an id (26 letters and digits): hosts are found by either.');

/**
 * A run root is an absolute path, or a folder under the SSH user's home written ~/DIR (the default
 * is ~/.tunebench). A bare relative path ("foo") is refused: it reads as relative to where the
 * command was typed, but would be relative to the remote home.
 */
export const RUN_ROOT_RULE = "Give the run root as an absolute path (e.g. /scratch/you/tunebench) or a folder under the SSH user's home written ~/DIR (e.g. ~/tunebench).";
export function isRunRootAllowed(runRoot: string): boolean {
  return runRoot.startsWith('/') || runRoot === '~' || runRoot.startsWith('~/');
}
const RunRoot = z.string().trim().min(1).max(4096).regex(NO_CONTROL).refine(isRunRootAllowed, RUN_ROOT_RULE);

export const Host = z.object({
  id: Ulid,
  name: z.string(),
  kind: z.enum(['local', 'ssh']),
  hostname: z.string().nullable(),
  port: z.number().int().nullable(),
  user: z.string().nullable(),
  identityFile: z.string().nullable(),
  proxyJump: z.string().nullable(),
  python: z.string(),
  runRoot: z.string(),
  /** Set for a SLURM cluster's login node: the defaults its jobs are submitted with. */
  slurm: SlurmSettings.nullable(),
  createdAt: z.number().int(),
});
export type Host = z.infer<typeof Host>;

export const AddHostInput = z.strictObject({
  name: HostName,
  hostname: z.string().trim().min(1).max(255).regex(NO_CONTROL),
  port: z.number().int().min(1).max(65535).optional(),
  user: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\w.@-]+$/, 'User names use letters, digits, ".", "_", "-" and "@".')
    .optional(),
  identityFile: z.string().trim().min(1).max(4096).regex(NO_CONTROL).optional(),
  proxyJump: z.string().trim().min(1).max(1000).regex(NO_CONTROL).optional(),
  python: z.string().trim().min(1).max(1000).regex(NO_CONTROL).optional(),
  runRoot: RunRoot.optional(),
  /** Makes the host a SLURM cluster (its login node), with these defaults ({} for none). */
  slurm: SlurmSettings.optional(),
});

export const HostRefInput = z.strictObject({ ref: z.string().trim().min(1).max(200) });
export const TrustHostInput = z.strictObject({
  ref: z.string().trim().min(1).max(200),
  fingerprint: z
    .string()
    .trim()
    .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'A fingerprint looks like SHA256: followed by 43 base64 characters.'),
});

export const HostProbe = z.object({
  os: z.string(),
  kernel: z.string(),
  cpus: z.number().int(),
  memoryBytes: z.number(),
  diskFreeBytes: z.number().nullable(),
  python: z.object({ version: z.string().nullable(), packages: z.record(z.string(), z.string().nullable()) }),
  gpus: z.array(z.object({ index: z.number().int(), name: z.string(), memoryUsedMiB: z.number(), memoryTotalMiB: z.number(), utilization: z.number() })),
  driverVersion: z.string().nullable(),
  cudaVersion: z.string().nullable(),
  hasSbatch: z.boolean(),
  /** For a SLURM cluster: its version, partitions, the user's jobs, accounting and the shared run root. */
  slurm: SlurmProbe.nullable().optional(),
});
export type HostProbe = z.infer<typeof HostProbe>;

const UserName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\w.@-]+$/, 'User names use letters, digits, ".", "_", "-" and "@".');

/**
 * What can change on a host. Python, run root and a cluster's defaults are read at each use; the
 * address, user, port, key file and jump hosts decide how it is reached, so changing one of them
 * drops the pooled connection. identityFile and proxyJump take null to go back to none.
 */
export const ConfigureHostInput = z
  .strictObject({
    ref: z.string().trim().min(1).max(200),
    python: z.string().trim().min(1).max(1000).regex(NO_CONTROL).optional(),
    runRoot: RunRoot.optional(),
    hostname: z.string().trim().min(1).max(255).regex(NO_CONTROL).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    user: UserName.optional(),
    identityFile: z.string().trim().min(1).max(4096).regex(NO_CONTROL).nullable().optional(),
    proxyJump: z.string().trim().min(1).max(1000).regex(NO_CONTROL).nullable().optional(),
    /** A cluster's defaults (only for SLURM hosts): the keys given change, the others stay... */
    slurm: SlurmSettings.optional(),
    /** ...unless this is set: then they replace the old defaults whole (a form that sends every field). */
    replaceSlurm: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'ref' && k !== 'replaceSlurm' && v[k as keyof typeof v] !== undefined), {
    message: 'Give something to change: a Python command (--python), a run root (--run-root), the address, user, port, key file, jump hosts or SLURM defaults.',
  });
export type ConfigureHostInput = z.infer<typeof ConfigureHostInput>;

/** The last probe of a host, kept so the launch dialog can say what the host lacks after a reload. */
export const LastProbe = z.object({ hostId: Ulid, hostName: z.string(), probedAt: z.number(), probe: HostProbe });
export type LastProbe = z.infer<typeof LastProbe>;
