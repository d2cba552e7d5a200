// ssh2 takes 30-40 ms to load: it is loaded on first use, so commands and app starts that never
// reach a remote host (project list, a local run, opening the app) do not wait for it.
import type * as Ssh2 from 'ssh2';
import { nodeRequire } from '../lazy';

let loaded: typeof Ssh2 | undefined;

export function ssh2(): typeof Ssh2 {
  return (loaded ??= nodeRequire<typeof Ssh2>('ssh2'));
}
