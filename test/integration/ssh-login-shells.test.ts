// Remote commands are POSIX sh whatever the user's login shell (review, issue 13, finding 11): a real
// sshd whose second account logs in with tcsh, fish (where installed: `apt-get install tcsh fish`),
// or a stand-in that reads its command as csh does (refuses newlines in quotes, `!`, `$(`, `2>`).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/main/app';
import { SshAccess } from '../../src/main/hosts/host-access';
import { connectSsh } from '../../src/main/ssh/connect';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { tempDir } from '../support/tunebench';

// Parses its -c argument by csh's quoting rules and runs only `exec PROGRAM ARGS...`.
const CSH_LIKE = `#!/usr/bin/python3
import os, sys
if len(sys.argv) < 3 or sys.argv[1] != "-c":
    sys.exit("csh-like: only -c COMMAND")
src, words, cur, has, quoted, i = sys.argv[2], [], "", False, False, 0
while i < len(src):
    c = src[i]
    if quoted:
        if c == "'": quoted = False
        elif c == "\\n": sys.exit("Unmatched '.")
        elif c == "!": sys.exit("Event not found.")
        else: cur += c
    elif c == "'": quoted, has = True, True
    elif c == "\\\\": i += 1; cur += src[i]; has = True
    elif c in " \\t":
        if has: words.append(cur)
        cur, has = "", False
    elif c == "!": sys.exit("Event not found.")
    elif c in "$\\"\`;&|<>()\\n": sys.exit(f"csh-like: {c!r} is not for this shell")
    else: cur += c; has = True
    i += 1
if quoted: sys.exit("Unmatched '.")
if has: words.append(cur)
if not words or words[0] != "exec":
    sys.exit("csh-like: only exec")
os.execv(words[1], words[1:])
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-shells-'));
fs.chmodSync(dir, 0o755);
fs.writeFileSync(path.join(dir, 'csh-like'), CSH_LIKE, { mode: 0o755 });
fs.writeFileSync(path.join(dir, 'activate.sh'), 'FOO=activated\nexport FOO\n', { mode: 0o644 });

const installed = (shell: string) => fs.existsSync(shell);
const shells = [
  { shell: '/usr/bin/tcsh', run: installed('/usr/bin/tcsh') },
  { shell: '/usr/bin/fish', run: installed('/usr/bin/fish') },
  { shell: path.join(dir, 'csh-like'), run: true },
];

/** What /bin/sh itself prints for a command: what the host must print whatever its login shell. */
function posix(command: string, input = ''): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', command], { input, encoding: 'utf8', cwd: os.tmpdir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// About 55 KB: one argument may not pass 128 KiB (Linux), and base64 takes a third more.
const LONG = Array.from({ length: 1500 }, (_, i) => `echo 'line ${i}: it'"'"'s \\ ! $HOME'`).join('\n');

const COMMANDS: { name: string; command: string; stdin?: string; want?: { code: number; stdout: string } }[] = [
  { name: 'cd, &&, $(...) and a redirect', command: `cd ${os.tmpdir()} && echo "$(pwd)" 2>/dev/null` },
  { name: 'assignments, loops, arithmetic and if', command: 'x=1; for i in 1 2; do x=$((x+i)); done; if [ "$x" -eq 4 ]; then echo four; fi' },
  { name: 'quotes, backslashes and !', command: `printf '%s|' 'it'"'"'s' 'a\\\\b' "x!y" 'c\\d'; printf '\\n'` },
  { name: 'a here-document over several lines', command: "cat <<'EOF'\nline one\nit's \"quoted\" \\n !\nEOF\necho after" },
  { name: 'stdin', command: 'read -r line; echo "got:$line"', stdin: 'hello\n' },
  { name: 'an exit code and stderr', command: 'echo oops 1>&2; exit 7' },
  { name: 'a long script', command: LONG },
  // `source` is bash's (dash has only `.`): a host's Python may be "source venv/bin/activate && python".
  { name: 'an activation line with source', command: `source ${dir}/activate.sh && echo "$FOO"`, want: { code: 0, stdout: 'activated\n' } },
];

describe.each(shells)('a login shell of $shell', ({ shell, run }) => {
  let sshd: TestSshd;
  let access: SshAccess;
  beforeAll(async () => {
    if (!run) return;
    sshd = await startSshd({ secondUser: true, secondUserShell: shell });
    const client = await connectSsh({ hostname: '127.0.0.1', port: sshd.port, user: sshd.second!.user, identityFile: sshd.clientKey }, [], {
      trust: { knownHostsFiles: [], trustedKeys: () => [{ keyType: 'ssh-ed25519', fingerprint: sshd.hostKeyFingerprint, revoked: false }] },
      agentSocket: '',
    });
    access = new SshAccess(client);
  });
  afterAll(async () => {
    access?.close();
    await sshd?.stop();
  });

  it.skipIf(!run).each(COMMANDS)('runs $name as /bin/sh does', async ({ command, stdin, want: given }) => {
    // The account really has that login shell.
    expect(execFileSync('getent', ['passwd', sshd.second!.user], { encoding: 'utf8' }).trim().endsWith(`:${shell}`)).toBe(true);
    const want = given ? { ...given, stderr: '' } : posix(command, stdin);
    const got = await access.exec(command, { ...(stdin ? { stdin } : {}), timeoutMs: 30_000 });
    expect({ code: got.code, stdout: got.stdout.replace(sshd.second!.home, '~') }).toEqual({ code: want.code, stdout: want.stdout.replace(os.homedir(), '~') });
    if (want.stderr) expect(got.stderr).toContain(want.stderr.trim());
  });

  it.skipIf(!run)('probes the host through the engine', async () => {
    const engine = openEngine({ dataDir: tempDir(), knownHostsFiles: [], agentSocket: '' });
    try {
      await engine.call('hosts.add', { name: 'shelly', hostname: '127.0.0.1', port: sshd.port, user: sshd.second!.user, identityFile: sshd.clientKey, python: '/usr/bin/python3' });
      await engine.call('hosts.trust', { ref: 'shelly', fingerprint: sshd.hostKeyFingerprint });
      expect((await engine.call('hosts.probe', { ref: 'shelly' })).cpus).toBeGreaterThan(0);
    } finally {
      engine.close();
    }
  });
});

describe('a bash login shell', () => {
  it("keeps what ~/.bashrc defines for commands (conda activate, Lmod's module): commands are not moved to /bin/sh", async () => {
    const sshd = await startSshd({ secondUser: true, secondUserShell: '/bin/bash' });
    try {
      // A function from .bashrc, as `conda init` writes one; the Python setting of a host may call it.
      fs.writeFileSync(path.join(sshd.second!.home, '.bashrc'), 'tb_activate() { export TB_ACTIVATED=yes; }\n', { mode: 0o644 });
      fs.chownSync(path.join(sshd.second!.home, '.bashrc'), sshd.second!.uid, sshd.second!.gid);
      const client = await connectSsh({ hostname: '127.0.0.1', port: sshd.port, user: sshd.second!.user, identityFile: sshd.clientKey }, [], {
        trust: { knownHostsFiles: [], trustedKeys: () => [{ keyType: 'ssh-ed25519', fingerprint: sshd.hostKeyFingerprint, revoked: false }] },
        agentSocket: '',
      });
      const access = new SshAccess(client);
      try {
        const got = await access.exec('tb_activate && echo "activated=$TB_ACTIVATED"', { timeoutMs: 30_000 });
        expect(got.stdout.trim()).toBe('activated=yes');
      } finally {
        access.close();
      }
    } finally {
      await sshd.stop();
    }
  });
});
