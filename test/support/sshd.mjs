// A real OpenSSH server for tests and benchmarks: its own host key, on a free loopback port, under a temp dir.
// Plain JavaScript so `npm run bench` (plain Node) and the tests (vitest) share it; types in sshd.d.mts.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export function ensureOpenSsh() {
  if (fs.existsSync(SSHD) && fs.existsSync('/usr/bin/ssh-keygen')) return;
  if (process.getuid?.() === 0) {
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client'], { stdio: 'inherit' });
    if (fs.existsSync(SSHD)) return;
  }
  throw new Error('These tests need OpenSSH: `sudo apt-get install -y openssh-server openssh-client`.');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function waitForPort(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export function keygen(file, type = 'ed25519') {
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '3072'] : []), '-N', '', '-C', 'tunebench-test', '-f', file]);
  return fingerprint(`${file}.pub`);
}

export function fingerprint(pubFile) {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' }).split(' ')[1];
}

/**
 * A throwaway account with its own home under `dir`, for tests that need a second user (a registry
 * account, say). Needs root. Its password field is '*' rather than useradd's '!': without PAM, sshd
 * treats '!' as a locked account and refuses even key logins.
 */
function addUser(dir, shell = '/bin/sh') {
  if (process.getuid?.() !== 0) throw new Error('startSshd({ secondUser: true }) creates a user account and needs root.');
  // Unique per server, so two test files running at once never share (or delete) each other's user.
  const name = `tb${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  const home = path.join(dir, `home-${name}`);
  execFileSync('useradd', ['-M', '-d', home, '-s', shell, '-p', '*', name]);
  fs.mkdirSync(home, { mode: 0o755 });
  const { uid, gid } = JSON.parse(execFileSync('sh', ['-c', `printf '{"uid":%s,"gid":%s}' "$(id -u ${name})" "$(id -g ${name})"`], { encoding: 'utf8' }));
  fs.chownSync(home, uid, gid);
  return { user: name, home, uid, gid };
}

/**
 * `env`: variables set in every session (sshd_config's SetEnv), for what a login would get from the
 * host's profile: SLURM_CONF for a test cluster, say. Sessions do not inherit the test's environment.
 * `secondUserShell`: the second account's login shell (default /bin/sh), e.g. /usr/bin/tcsh.
 * `hostCertificate`: the host key is also certified by a CA of its own (HostCertificate); the CA's
 * public key is `hostCa`, for a known_hosts @cert-authority line.
 * @param {{ secondUser?: boolean; secondUserShell?: string; env?: Record<string, string>; hostCertificate?: boolean }} [options]
 */
/**
 * Kills every sshd process but `except` holding a TCP socket whose local port is `port`: a server's
 * listener and the sessions it accepted (a client's sockets have other local ports; only sshd's own
 * processes are touched). Read from /proc, as fuser does. Returns how many it killed.
 */
export function killSessions(port, except) {
  const inodes = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && parseInt(cols[1].split(':')[1], 16) === port && cols[9] !== '0') inodes.add(cols[9]);
    }
  }
  let killed = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== except)) {
    let fds;
    try {
      if (!fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('sshd')) continue;
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    const holds = fds.some((fd) => {
      try {
        const socket = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        return !!socket && inodes.has(socket[1]);
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      killed++;
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

export async function startSshd(options = {}) {
  ensureOpenSsh();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-sshd-'));
  fs.chmodSync(dir, 0o755);
  const user = os.userInfo().username;
  const second = options.secondUser ? addUser(dir, options.secondUserShell) : undefined;
  const clientKey = path.join(dir, 'client_ed25519');
  keygen(clientKey);
  fs.copyFileSync(`${clientKey}.pub`, path.join(dir, 'authorized_keys'));
  const port = await freePort();
  const log = path.join(dir, 'sshd.log');
  let hostKeyFingerprint = keygen(path.join(dir, 'host_ed25519'));
  let hostCa;
  let hostCertificate;
  if (options.hostCertificate) {
    const ca = path.join(dir, 'host_ca');
    keygen(ca);
    hostCa = fs.readFileSync(`${ca}.pub`, 'utf8').trim();
    execFileSync('ssh-keygen', ['-q', '-s', ca, '-I', 'tunebench-test-host', '-h', '-n', '127.0.0.1', path.join(dir, 'host_ed25519.pub')]);
    hostCertificate = path.join(dir, 'host_ed25519-cert.pub');
  }
  let hostKeys = [path.join(dir, 'host_ed25519')];
  const writeConfig = (hostKey) =>
    fs.writeFileSync(
      path.join(dir, 'sshd_config'),
      [
        `ListenAddress 127.0.0.1:${port}`,
        ...(Array.isArray(hostKey) ? hostKey : [hostKey]).map((k) => `HostKey ${k}`),
        ...(hostCertificate ? [`HostCertificate ${hostCertificate}`] : []),
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        `AllowUsers ${user}${second ? ` ${second.user}` : ''}`,
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'AllowTcpForwarding yes',
        'MaxSessions 64',
        'MaxStartups 64:30:128',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        // One SetEnv line with every pair: sshd takes only the first SetEnv line it reads.
        ...(Object.keys(options.env ?? {}).length
          ? [
              `SetEnv ${Object.entries(options.env)
                .map(([k, v]) => `"${k}=${v}"`)
                .join(' ')}`,
            ]
          : []),
      ].join('\n') + '\n',
    );
  writeConfig(path.join(dir, 'host_ed25519'));
  let proc;
  const start = async () => {
    proc = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config'), '-E', log], { stdio: 'ignore' });
    await waitForPort(port);
  };
  // The listener first (nothing new is accepted), then every process still holding a connection to
  // its port: sessions forked by an earlier listener, or forked while this one was stopping, are no
  // children of it (killing the listener's children alone once left a link up through a cut).
  const stopProc = () =>
    new Promise((resolve) => {
      const done = () => {
        killSessions(port);
        resolve();
      };
      if (proc.exitCode !== null || proc.signalCode !== null) return done();
      proc.once('exit', done);
      proc.kill('SIGTERM');
    });
  await start();
  return {
    port,
    user,
    dir,
    clientKey,
    get hostKeyFingerprint() {
      return hostKeyFingerprint;
    },
    log,
    /** Kills every open session (the server keeps listening); says whether there was one to cut. */
    cutLinks() {
      return killSessions(port, proc.pid) > 0;
    },
    /** Cuts every open session and refuses new connections until restoreLinks(): a link that stays down. */
    async takeLinksDown() {
      await stopProc();
    },
    /** Listens again after takeLinksDown(), on the same port with the same host keys. */
    async restoreLinks() {
      await start();
    },
    async restartWithNewHostKey() {
      await stopProc();
      const key = path.join(dir, `host_ed25519_${Date.now()}`);
      hostKeyFingerprint = keygen(key);
      hostKeys = [key];
      writeConfig(key);
      await start();
      return hostKeyFingerprint;
    },
    async restartWithHostKeyType(type, restartOptions = {}) {
      await stopProc();
      const key = path.join(dir, `host_${type}_${Date.now()}`);
      hostKeyFingerprint = keygen(key, type);
      hostKeys = restartOptions.keepOld ? [...hostKeys, key] : [key];
      writeConfig(hostKeys);
      await start();
      return hostKeyFingerprint;
    },
    hostCa,
    second,
    async stop() {
      await stopProc();
      if (second) {
        try {
          execFileSync('userdel', ['-f', second.user], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
    },
  };
}
