// What push, verify, alias and pull need from a registry, whatever kind it is: an OCI registry
// (oci-backend.ts) or a directory on an SSH host (ssh-backend.ts).
import type { AliasMove, RegistryModel } from '../../shared/domain/registry';
import type { ModelFile } from './modelpack';
import type { SignedDecision, StoredModel } from './verify-model';

/** A model file to push, read in chunks from wherever it is (never whole in memory). */
export interface PushFile extends ModelFile {
  read(offset: number, length: number): Promise<Buffer>;
  /** Where the file is, when the registry may copy it itself (an SSH registry on the same host). */
  source: { hostId: string; absPath: string };
}

export interface PushPlan {
  model: string;
  version: string;
  files: PushFile[];
  config: Buffer;
  manifest: Buffer;
  approval: SignedDecision & { digest: string; chain: SignedDecision[] };
  report: { html: string; json: string };
  lineage: string;
  allowedSigners: string;
}

export interface PushProgress {
  /** Bytes sent to the registry in this attempt. */
  sent(bytes: number): void;
  /** Bytes the registry had already (a blob present, or the part of an upload it kept). */
  skipped(bytes: number): void;
  /** Where an unfinished upload of a blob stands, kept so a killed app can resume it. */
  location(digest: string): string | null;
  saveLocation(digest: string, location: string | null): void;
}

export interface ModelBackend {
  /** The manifest digest a version has, or null when it does not exist. */
  versionDigest(model: string, version: string): Promise<string | null>;
  /** Uploads files, then the manifest and what travels with it, and only then the version tag. */
  push(plan: PushPlan, progress: PushProgress): Promise<{ manifestDigest: string }>;
  /** The version an alias points at (null when unset). */
  resolveAlias(model: string, alias: string): Promise<string | null>;
  read(model: string, version: string): Promise<StoredModel & { report: string | null }>;
  setAlias(model: string, alias: string, version: string, move: AliasMove): Promise<void>;
  list(): Promise<RegistryModel[]>;
  /** Streams one file of a version to `write`, chunk by chunk. */
  download(model: string, version: string, file: ModelFile, write: (chunk: Buffer) => Promise<void>): Promise<void>;
  /** The allowed_signers the registry carries, if any (an SSH registry keeps one at its root). */
  allowedSigners(): Promise<string | null>;
  close(): void;
}
