// How to reach a host that came from an SSH config: its settings as `ssh ALIAS` would use them
// (from `ssh -G`, or the fallback parser where OpenSSH is not installed), its ProxyJump hops each
// evaluated as `ssh HOP` would be, and its ProxyCommand.
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../errors';
import { parseJumpHops, type SshTarget } from './connect';
import { evaluateSshConfig, parseSshConfig, readSshConfig, type SshConfigHost } from './ssh-config';

export interface SshRoute {
  target: SshTarget;
  jumps: SshTarget[];
  /** Carries the connection to the first hop (tokens substituted). */
  proxyCommand?: string;
}

/** OpenSSH's UserKnownHostsFile when the config names none. */
// Functions, not constants: read at use (a constant would be fixed in the CLI's startup snapshot).
const defaultKnownHosts = () => [path.join(os.homedir(), '.ssh', 'known_hosts'), path.join(os.homedir(), '.ssh', 'known_hosts2')];

/** IdentityAgent: none, the environment's agent (undefined: the engine's), a variable, or a socket path. */
function agentOf(value: string | undefined): string | null | undefined {
  if (value === undefined || value === 'SSH_AUTH_SOCK') return undefined;
  if (value.toLowerCase() === 'none') return null;
  if (value.startsWith('$')) return process.env[value.slice(1).replace(/^\{(.*)\}$/, '$1')] ?? null;
  return value;
}

export function targetOf(cfg: SshConfigHost): SshTarget {
  const agent = agentOf(cfg.identityAgent);
  return {
    hostname: cfg.hostname,
    port: cfg.port ?? 22,
    user: cfg.user ?? os.userInfo().username,
    ...(cfg.identityFiles?.length ? { identityFiles: cfg.identityFiles } : cfg.identityFile ? { identityFiles: [cfg.identityFile] } : {}),
    knownHostsFiles: cfg.knownHostsFiles ?? defaultKnownHosts(),
    ...(agent !== undefined ? { agentSocket: agent } : {}),
    ...(cfg.certificateFiles?.length ? { certificateFiles: cfg.certificateFiles } : {}),
    ...(cfg.hostKeyAlias ? { hostKeyAlias: cfg.hostKeyAlias } : {}),
    ...(cfg.connectTimeoutMs ? { connectTimeoutMs: cfg.connectTimeoutMs } : {}),
  };
}

type Lookup = (alias: string, hop?: { user?: string; port?: number }) => Promise<SshConfigHost>;

/**
 * ProxyJump a,b as ssh runs it: `a` is reached as `ssh a` would reach it (its own ProxyJump or
 * ProxyCommand included), the later hops through it with their own settings but not their proxies.
 */
async function routeOf(cfg: SshConfigHost, lookup: Lookup, depth: number): Promise<SshRoute> {
  const target = targetOf(cfg);
  if (!cfg.proxyJump) return { target, jumps: [], ...(cfg.proxyCommand ? { proxyCommand: cfg.proxyCommand } : {}) };
  if (depth > 8) throw new EngineError('VALIDATION_FAILED', `The ProxyJump chain of "${cfg.alias}" in your SSH config is more than 8 hops deep (does it loop?). Fix the config, then try again.`);
  const hops = await Promise.all(parseJumpHops(cfg.proxyJump).map((hop) => lookup(hop.hostname, { ...(hop.user ? { user: hop.user } : {}), ...(hop.port ? { port: hop.port } : {}) })));
  const first = await routeOf(hops[0]!, lookup, depth + 1);
  return {
    target,
    jumps: [...first.jumps, first.target, ...hops.slice(1).map(targetOf)],
    ...(first.proxyCommand ? { proxyCommand: first.proxyCommand } : {}),
  };
}

/**
 * The route to a config alias. `configFile` null: the user's own (~/.ssh/config, and the system's).
 * Null when neither OpenSSH nor the file can say (the caller then uses what the host record keeps).
 */
export async function configRoute(alias: string, configFile: string | null): Promise<SshRoute | null> {
  const evaluated = await evaluateSshConfig(alias, { configFile });
  if (evaluated) {
    const lookup: Lookup = async (a, hop = {}) => (await evaluateSshConfig(a, { configFile, ...hop }))!;
    return routeOf(evaluated, lookup, 0);
  }
  // No ssh command: the fallback parser, on the same file.
  let entries: SshConfigHost[];
  try {
    entries = parseSshConfig(readSshConfig(configFile ?? path.join(os.homedir(), '.ssh', 'config')));
  } catch {
    return null;
  }
  const find = (a: string, hop: { user?: string; port?: number } = {}): SshConfigHost => {
    const entry = entries.find((e) => e.alias === a) ?? { alias: a, hostname: a };
    return { ...entry, ...(hop.user ? { user: hop.user } : {}), ...(hop.port ? { port: hop.port } : {}) };
  };
  const entry = entries.find((e) => e.alias === alias);
  return entry ? routeOf(entry, async (a, hop) => find(a, hop), 0) : null;
}
