// Reads ~/.ssh/config. Where the OpenSSH client is installed, `ssh -G ALIAS` evaluates it (Include,
// Match, tokens, every IdentityFile, ProxyCommand, ...) exactly as `ssh ALIAS` would; the small parser
// below is the fallback without it: for each concrete Host alias, the first value of each keyword among
// the blocks that match it wins.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../errors';

export interface SshConfigHost {
  alias: string;
  hostname: string;
  port?: number;
  user?: string;
  /** The first IdentityFile (what a host record keeps); `identityFiles` has them all, in order. */
  identityFile?: string;
  identityFiles?: string[];
  proxyJump?: string;
  /** Tokens (%h %p %r ...) already substituted. */
  proxyCommand?: string;
  identityAgent?: string;
  certificateFiles?: string[];
  /** UserKnownHostsFile then GlobalKnownHostsFile, as ssh -G gives them. */
  knownHostsFiles?: string[];
  connectTimeoutMs?: number;
  hostKeyAlias?: string;
}

interface Block {
  patterns: string[];
  settings: Map<string, string>;
  /** IdentityFile is the keyword that adds up: every one of every matching block, in order. */
  identityFiles: string[];
}

const KEYWORDS = new Set(['hostname', 'port', 'user', 'identityfile', 'proxyjump', 'proxycommand', 'identityagent', 'connecttimeout', 'userknownhostsfile']);

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

function blockMatches(block: Block, alias: string): boolean {
  let matched = false;
  for (const p of block.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), alias)) return false;
    } else if (globMatch(p, alias)) matched = true;
  }
  return matched;
}

function expand(value: string, alias: string): string {
  return value
    .replace(/^~(?=\/|$)/, os.homedir())
    .replace(/%h/g, alias)
    .replace(/%%/g, '%');
}

export function parseSshConfig(text: string): SshConfigHost[] {
  const blocks: Block[] = [{ patterns: ['*'], settings: new Map(), identityFiles: [] }];
  let skipping = false; // inside a Match block, which we do not evaluate
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim().replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      blocks.push({ patterns: value.split(/\s+/), settings: new Map(), identityFiles: [] });
      skipping = false;
    } else if (key === 'match') {
      skipping = true;
    } else if (!skipping && KEYWORDS.has(key)) {
      const block = blocks[blocks.length - 1]!;
      if (key === 'identityfile') block.identityFiles.push(value);
      if (!block.settings.has(key)) block.settings.set(key, value);
    }
  }
  const aliases = [...new Set(blocks.flatMap((b) => b.patterns.filter((p) => !/[*?!]/.test(p))))];
  return aliases.map((alias) => {
    const eff = new Map<string, string>();
    for (const b of blocks) if (blockMatches(b, alias)) for (const [k, v] of b.settings) if (!eff.has(k)) eff.set(k, v);
    const host: SshConfigHost = { alias, hostname: eff.get('hostname') ? expand(eff.get('hostname')!, alias) : alias };
    const port = Number(eff.get('port'));
    if (Number.isInteger(port) && port > 0 && port < 65536) host.port = port;
    if (eff.get('user')) host.user = eff.get('user')!;
    const jump = eff.get('proxyjump');
    if (jump && jump.toLowerCase() !== 'none') host.proxyJump = jump;
    // In these, %h is the HostName (in HostName itself it is the alias).
    const tokens = tokenValues(host, alias);
    const files = blocks.filter((b) => blockMatches(b, alias)).flatMap((b) => b.identityFiles.map((f) => expandTokens(f, tokens)));
    if (files.length) {
      host.identityFile = files[0]!;
      host.identityFiles = files;
    }
    if (eff.get('identityagent')) host.identityAgent = expandTokens(eff.get('identityagent')!, tokens);
    const proxy = eff.get('proxycommand');
    if (proxy && proxy.toLowerCase() !== 'none') host.proxyCommand = expandTokens(proxy, tokens);
    const timeout = Number(eff.get('connecttimeout'));
    if (timeout > 0) host.connectTimeoutMs = timeout * 1000;
    if (eff.get('userknownhostsfile'))
      host.knownHostsFiles = eff
        .get('userknownhostsfile')!
        .split(/\s+/)
        .map((f) => expandTokens(f, tokens));
    return host;
  });
}

/**
 * The text of a config file with its Include directives read in place (recursively), for the
 * fallback parser and for listing aliases. Relative paths are under ~/.ssh, as OpenSSH reads them
 * for a user's config; globs are expanded, in sorted order.
 */
export function readSshConfig(file: string, depth = 0): string {
  const text = fs.readFileSync(file, 'utf8');
  if (depth > 16) return text; // OpenSSH's own limit on nesting
  return text
    .split('\n')
    .map((line) => {
      const m = /^\s*include(?:\s*=\s*|\s+)(.+)$/i.exec(line);
      if (!m) return line;
      const included = m[1]!
        .trim()
        .split(/\s+/)
        .map((p) => p.replace(/^"(.*)"$/, '$1'));
      return included
        .flatMap((p) => globFiles(path.resolve(path.join(os.homedir(), '.ssh'), p.replace(/^~(?=\/|$)/, os.homedir()))))
        .map((f) => {
          try {
            return readSshConfig(f, depth + 1);
          } catch {
            return ''; // OpenSSH skips an Include that matches nothing readable
          }
        })
        .join('\n');
    })
    .join('\n');
}

/** The files a glob (* and ? in any component) names, sorted; the path itself when it has none. */
function globFiles(pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return [pattern];
  let found = ['/'];
  for (const part of pattern.split('/').filter(Boolean)) {
    if (!/[*?]/.test(part)) {
      found = found.map((d) => path.join(d, part));
      continue;
    }
    const re = new RegExp(
      `^${part
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    found = found.flatMap((d) => {
      try {
        return fs
          .readdirSync(d)
          .filter((n) => re.test(n) && (part.startsWith('.') || !n.startsWith('.')))
          .sort()
          .map((n) => path.join(d, n));
      } catch {
        return [];
      }
    });
  }
  return found;
}

/** Values for OpenSSH's percent tokens (ssh_config(5) TOKENS) for one host. */
export interface TokenValues {
  alias: string; // %n
  hostname: string; // %h
  port: number; // %p
  user: string; // %r
  proxyJump?: string; // %j
  hostKeyAlias?: string; // %k
}

function tokenValues(host: SshConfigHost, alias: string): TokenValues {
  return { alias, hostname: host.hostname, port: host.port ?? 22, user: host.user ?? os.userInfo().username, ...(host.proxyJump ? { proxyJump: host.proxyJump } : {}) };
}

/** Substitutes %h %p %r %n %u %d %i %l %L %j %k %C and %% as ssh does in IdentityFile, ProxyCommand and the like. */
export function expandTokens(value: string, t: TokenValues): string {
  const local = os.hostname();
  const values: Record<string, string> = {
    '%': '%',
    h: t.hostname,
    p: String(t.port),
    r: t.user,
    n: t.alias,
    u: os.userInfo().username,
    d: os.homedir(),
    i: String(process.getuid?.() ?? ''),
    l: local,
    L: local.split('.')[0]!,
    j: t.proxyJump ?? '',
    k: t.hostKeyAlias ?? t.hostname,
  };
  values.C = crypto.createHash('sha1').update(`${values.l}${values.h}${values.p}${values.r}${values.j}`).digest('hex');
  return value.replace(/%(.)/g, (whole, c: string) => values[c] ?? whole).replace(/^~(?=\/|$)/, os.homedir());
}

/** The identity files OpenSSH tries when the config names none: missing ones are no news. */
/** OpenSSH's default identity files, in its order (a function: the home is read at use). */
export const opensshDefaultIdentities = (): string[] => ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((n) => path.join(os.homedir(), '.ssh', n));

/** The OpenSSH client, when installed; tests point it elsewhere. */
export const sshClient = { command: 'ssh' };

/**
 * What `ssh -G` says `ssh ALIAS` would use: the config evaluated by OpenSSH itself. `user` and `port`
 * are the -l and -p of a jump host written user@host:port. Null when the ssh command is not installed.
 */
export function evaluateSshConfig(alias: string, options: { configFile?: string | null; user?: string; port?: number } = {}): Promise<SshConfigHost | null> {
  const args = [...(options.configFile ? ['-F', options.configFile] : []), ...(options.user ? ['-l', options.user] : []), ...(options.port ? ['-p', String(options.port)] : []), '-G', '--', alias];
  return new Promise((resolve, reject) => {
    // A Match exec in the config runs a command: it gets 10 s, as a stuck one must not hold the user.
    execFile(sshClient.command, args, { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(null);
      if (err) {
        const why = stderr
          .split('\n')
          .filter((l) => l.trim() && !/Pseudo-terminal will not be allocated/.test(l))
          .join(' ')
          .trim();
        return reject(
          new EngineError('VALIDATION_FAILED', `OpenSSH cannot read the SSH config for "${alias}": ${why || err.message}. Fix the config (\`ssh -G ${alias}\` shows the same error), then try again.`),
        );
      }
      resolve(fromSshG(alias, stdout));
    });
  });
}

function fromSshG(alias: string, output: string): SshConfigHost {
  const one = new Map<string, string>();
  const many = new Map<string, string[]>();
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (!one.has(key)) one.set(key, m[2]!);
    many.set(key, [...(many.get(key) ?? []), m[2]!]);
  }
  const host: SshConfigHost = { alias, hostname: one.get('hostname') ?? alias };
  const port = Number(one.get('port'));
  if (Number.isInteger(port) && port > 0 && port < 65536) host.port = port;
  if (one.get('user')) host.user = one.get('user')!;
  const jump = one.get('proxyjump');
  if (jump && jump.toLowerCase() !== 'none') host.proxyJump = jump;
  if (one.get('hostkeyalias')) host.hostKeyAlias = one.get('hostkeyalias')!;
  const tokens: TokenValues = { ...tokenValues(host, alias), ...(host.hostKeyAlias ? { hostKeyAlias: host.hostKeyAlias } : {}) };
  // ssh -G leaves the tokens of these for connect time: we substitute them as ssh would then.
  const files = (many.get('identityfile') ?? []).map((f) => expandTokens(f, tokens));
  if (files.length) {
    host.identityFiles = files;
    host.identityFile = files[0]!;
  }
  const certs = (many.get('certificatefile') ?? []).map((f) => expandTokens(f, tokens));
  if (certs.length) host.certificateFiles = certs;
  const proxy = one.get('proxycommand');
  if (proxy && proxy.toLowerCase() !== 'none') host.proxyCommand = expandTokens(proxy, tokens);
  const agent = one.get('identityagent');
  if (agent) host.identityAgent = agent.startsWith('$') || agent === 'SSH_AUTH_SOCK' || agent === 'none' ? agent : expandTokens(agent, tokens);
  host.knownHostsFiles = [...(one.get('userknownhostsfile') ?? '').split(/\s+/), ...(one.get('globalknownhostsfile') ?? '').split(/\s+/)]
    .filter((f) => f && f !== 'none')
    .map((f) => expandTokens(f, tokens));
  const timeout = Number(one.get('connecttimeout'));
  if (timeout > 0) host.connectTimeoutMs = timeout * 1000;
  return host;
}
