// Libraries that take tens of milliseconds to load (yaml, ajv, undici, yazl/yauzl, ssh2) are loaded on
// first use: `project list`, opening the app and most CLI commands never need them, and each one
// loaded at start-up adds to every command's start.

/** A module loaded the first time it is asked for. */
export function lazy<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

export const yamlLib = lazy(() => require('yaml') as typeof import('yaml'));
export const ajvLib = lazy(() => require('ajv') as typeof import('ajv'));
export const undiciLib = lazy(() => require('undici') as typeof import('undici'));
export const yazlLib = lazy(() => require('yazl') as typeof import('yazl'));
export const yauzlLib = lazy(() => require('yauzl') as typeof import('yauzl'));
