// Reads ~/.ssh/config the way OpenSSH does for the settings we use: for each concrete Host alias,
// the first value of each keyword among the blocks that match it wins.
import os from 'node:os';

export interface SshConfigHost {
  alias: string;
  hostname: string;
  port?: number;
  user?: string;
  identityFile?: string;
  proxyJump?: string;
  identityAgent?: string;
}

interface Block {
  patterns: string[];
  settings: Map<string, string>;
}

const KEYWORDS = new Set(['hostname', 'port', 'user', 'identityfile', 'proxyjump', 'identityagent']);

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
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
  return value.replace(/^~(?=\/|$)/, os.homedir()).replace(/%h/g, alias).replace(/%%/g, '%');
}

export function parseSshConfig(text: string): SshConfigHost[] {
  const blocks: Block[] = [{ patterns: ['*'], settings: new Map() }];
  let skipping = false; // inside a Match block, which we do not evaluate
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.+)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim().replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      blocks.push({ patterns: value.split(/\s+/), settings: new Map() });
      skipping = false;
    } else if (key === 'match') {
      skipping = true;
    } else if (!skipping && KEYWORDS.has(key)) {
      const block = blocks[blocks.length - 1]!;
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
    if (eff.get('identityfile')) host.identityFile = expand(eff.get('identityfile')!, alias);
    const jump = eff.get('proxyjump');
    if (jump && jump.toLowerCase() !== 'none') host.proxyJump = jump;
    if (eff.get('identityagent')) host.identityAgent = expand(eff.get('identityagent')!, alias);
    return host;
  });
}
