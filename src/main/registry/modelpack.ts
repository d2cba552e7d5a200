// The model as the registry holds it, in the CNCF ModelPack layout: one raw layer per model file (the
// layer digest is the file's sha256, its path in an annotation), a config blob carrying the lineage,
// and what travels with it (approval with its chain, report, alias moves) as artifacts whose
// `subject` is the model manifest. Everything here is deterministic: the same inputs, the same digests.
import crypto from 'node:crypto';
import { FILEPATH_ANNOTATION, MEDIA } from '../../shared/domain/registry';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ModelFile {
  path: string;
  sha256: string;
  size: number;
}

export const sha256 = (data: Buffer | string) => crypto.createHash('sha256').update(data).digest('hex');
export const json = (value: unknown) => Buffer.from(JSON.stringify(value));
export const EMPTY_CONFIG = Buffer.from('{}');
export const emptyDescriptor = (): Descriptor => ({ mediaType: MEDIA.empty, digest: `sha256:${sha256(EMPTY_CONFIG)}`, size: 2 });

export function blobDescriptor(mediaType: string, data: Buffer, annotations?: Record<string, string>): Descriptor {
  return { mediaType, digest: `sha256:${sha256(data)}`, size: data.length, ...(annotations ? { annotations } : {}) };
}

/** The model's root digest, as the test runner defines it: sha256 over "<sha256>  <path>\n" lines sorted by path. */
export function rootDigest(files: readonly ModelFile[]): string {
  const lines = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => `${f.sha256}  ${f.path}\n`);
  return sha256(lines.join(''));
}

export function modelConfig(args: { name: string; version: string; files: readonly ModelFile[]; lineage: Record<string, unknown>; approval: string; createdAt: string }): Buffer {
  return json({
    descriptor: { name: args.name, version: args.version, createdAt: args.createdAt },
    modelfs: { type: 'layers', diffIds: args.files.map((f) => `sha256:${f.sha256}`) },
    config: {},
    'dev.tunebench.lineage': args.lineage,
    'dev.tunebench.approval': args.approval,
    'dev.tunebench.rootDigest': `sha256:${rootDigest(args.files)}`,
  });
}

export function modelManifest(config: Buffer, files: readonly ModelFile[], annotations: Record<string, string>): Buffer {
  return json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    artifactType: MEDIA.modelArtifact,
    config: blobDescriptor(MEDIA.modelConfig, config),
    layers: [...files]
      .sort((a, b) => (a.path < b.path ? -1 : 1))
      .map((f): Descriptor => ({ mediaType: MEDIA.weight, digest: `sha256:${f.sha256}`, size: f.size, annotations: { [FILEPATH_ANNOTATION]: f.path } })),
    annotations,
  });
}

/** An artifact attached to the model manifest: an empty config, the given blobs as layers. */
export function referrerManifest(artifactType: string, subject: Descriptor, layers: { mediaType: string; data: Buffer; title: string }[], annotations: Record<string, string> = {}): Buffer {
  return json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    artifactType,
    config: emptyDescriptor(),
    layers: layers.map((l) => blobDescriptor(l.mediaType, l.data, { 'org.opencontainers.image.title': l.title })),
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  });
}

/** The files a model manifest lists: path annotation, digest, size. */
export function filesOfManifest(manifest: { layers?: Descriptor[] }): ModelFile[] {
  return (manifest.layers ?? []).filter((l) => l.mediaType === MEDIA.weight).map((l) => ({ path: l.annotations?.[FILEPATH_ANNOTATION] ?? '', sha256: l.digest.replace(/^sha256:/, ''), size: l.size }));
}
