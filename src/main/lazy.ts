// Libraries that take tens of milliseconds to load (yaml, ajv, undici, yazl/yauzl, ssh2) are loaded on
// first use: `project list`, opening the app and most CLI commands never need them, and each one
// loaded at start-up adds to every command's start.

/**
 * require() of a package at run time. Started from a V8 startup snapshot (see scripts/build-snapshot.mjs),
 * the engine's own code is already in memory and only the built-in require exists; the snapshot's main
 * then sets a real one here, made with createRequire, for packages (and native addons) loaded on use.
 */
export function nodeRequire<T>(id: string): T {
  const runtime = (globalThis as { __tunebenchRequire?: NodeJS.Require }).__tunebenchRequire;
  return (runtime ?? require)(id) as T;
}

/** require.resolve() of a package at run time (see nodeRequire). */
export function nodeResolve(id: string): string {
  const runtime = (globalThis as { __tunebenchRequire?: NodeJS.Require }).__tunebenchRequire;
  return (runtime ?? require).resolve(id);
}

/** A module loaded the first time it is asked for. */
export function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

export const yamlLib = lazy(() => nodeRequire<typeof import('yaml')>('yaml'));
export const ajvLib = lazy(() => nodeRequire<typeof import('ajv')>('ajv'));
export const undiciLib = lazy(() => nodeRequire<typeof import('undici')>('undici'));
export const yazlLib = lazy(() => nodeRequire<typeof import('yazl')>('yazl'));
export const yauzlLib = lazy(() => nodeRequire<typeof import('yauzl')>('yauzl'));
export const wsLib = lazy(() => nodeRequire<typeof import('ws')>('ws'));
