// A real two-node SLURM cluster for tests and benchmarks: munged, slurmctld and two slurmd (n1, n2) on
// loopback, all under a temp dir, stopped by pid. Plain JavaScript so `npm run bench` (plain Node) and
// the tests (vitest) share it; types in slurm.d.mts. Needs root (SlurmUser=root, munged's key checks).
// No systemd or cgroups here: proctrack/linuxproc, task/none. No slurmdbd: `sacct` does not work.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './sshd.mjs';

const INSTALL = 'apt-get install -y --no-install-recommends slurm-wlm munge';
const BINARIES = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch', '/usr/bin/squeue'];
/** Seconds a requeued job waits before it may start again (AuthInfo cred_expire; SLURM's default is 120). */
const CRED_EXPIRE = 10;

export function ensureSlurm() {
  if (BINARIES.every((f) => fs.existsSync(f))) return;
  if (process.getuid?.() === 0) {
    execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${INSTALL} -qq`], { stdio: 'inherit' });
    if (BINARIES.every((f) => fs.existsSync(f))) return;
  }
  throw new Error(`These tests need SLURM and MUNGE: \`sudo ${INSTALL}\`.`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every SLURM_* variable of ours is dropped (a test run inside a SLURM job must not leak into this cluster). */
function clientEnv(conf) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SLURM_') && !k.startsWith('SBATCH_') && !k.startsWith('SQUEUE_')) env[k] = v;
  env.SLURM_CONF = conf;
  return env;
}

async function distinctPorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Running, and not a zombie waiting to be reaped. */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Pids of this cluster's processes besides the daemons: whatever is in a daemon's session, and every
 * slurmstepd that carries our SLURM_CONF (slurmd passes its environment on) with its session, where a
 * job's processes live (slurmstepd calls setsid, so it leaves slurmd's session).
 */
function clusterProcesses(daemonPids, conf) {
  const procs = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp session ...
      const stepd = stat.includes('(slurmstepd') || fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith('slurmstepd');
      procs.push({ pid: Number(entry), sid: Number(fields[3]), stepd });
    } catch {
      // exited meanwhile
    }
  }
  const sids = new Set(daemonPids);
  for (const p of procs) {
    if (!p.stepd) continue;
    try {
      if (fs.readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(`SLURM_CONF=${conf}`)) sids.add(p.sid);
    } catch {
      // exited meanwhile
    }
  }
  return procs.filter((p) => (sids.has(p.sid) || daemonPids.includes(p.pid)) && p.pid !== process.pid).map((p) => p.pid);
}

/** SIGTERM, then SIGKILL whatever is left after `graceMs`. */
async function killAll(pids, graceMs = 4000) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * `dir`: where everything goes (a new temp dir by default; removed by stop() either way).
 * `cpusPerNode`: CPUs of n1 and n2 (1 by default; at most this machine's count).
 * `preemptGraceSeconds`: GraceTime of the `low` partition. 0 (the default): a preempted job gets its
 * --signal (when given with B:) and SIGTERM at once. N: it gets the signal at once and SIGTERM some
 * seconds after N (slurmctld checks end times periodically: 14 s for N=5), and the preempting job waits that long.
 * @param {{ dir?: string; preemptGraceSeconds?: number; cpusPerNode?: number }} [opts]
 */
export async function startSlurm(opts = {}) {
  ensureSlurm();
  if (process.getuid?.() !== 0) throw new Error('startSlurm() runs munged and slurmd as root (SlurmUser=root) and needs root.');
  const started = Date.now();
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tb-slurm-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755); // other users (startSshd's second account) read slurm.conf and reach the munge socket
  const conf = path.join(dir, 'slurm.conf');
  const env = { SLURM_CONF: conf };
  const fullEnv = clientEnv(conf);
  const [ctldPort, n1Port, n2Port] = await distinctPorts(3);
  const nodes = [
    { name: 'n1', addr: '127.0.0.1', port: n1Port },
    { name: 'n2', addr: '127.0.0.1', port: n2Port },
  ];
  const partitions = ['low', 'high', 'tiny'];
  const grace = Math.max(0, Math.floor(opts.preemptGraceSeconds ?? 0));
  // CPUs of each node (1 by default): more lets several one-CPU jobs share a node (a sweep's scheduler and its trials).
  // At most this machine's CPU count, which slurmd checks.
  const cpus = Math.max(1, Math.min(os.cpus().length, Math.floor(opts.cpusPerNode ?? 1)));

  const mungeDir = path.join(dir, 'munge');
  fs.mkdirSync(mungeDir, { mode: 0o755 });
  fs.chmodSync(mungeDir, 0o755);
  const mungeKey = path.join(mungeDir, 'munge.key');
  fs.writeFileSync(mungeKey, crypto.randomBytes(1024), { mode: 0o400 });
  const mungeSocket = path.join(mungeDir, 'munge.socket.2');
  for (const d of ['state', 'spool']) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'plugstack.conf'), ''); // not /etc/slurm's
  fs.writeFileSync(
    conf,
    [
      'ClusterName=tbtest',
      `SlurmctldHost=localhost(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      'CredType=cred/munge',
      // cred_expire also sets how long a requeued job waits before it may start again (default 120 s).
      `AuthInfo=socket=${mungeSocket},cred_expire=${CRED_EXPIRE}`,
      `StateSaveLocation=${path.join(dir, 'state')}`,
      `SlurmdSpoolDir=${path.join(dir, 'spool', '%n')}`,
      `SlurmctldPidFile=${path.join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${path.join(dir, 'slurmd-%n.pid')}`,
      `SlurmctldLogFile=${path.join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${path.join(dir, 'slurmd-%n.log')}`,
      'SlurmctldDebug=info',
      'SlurmdDebug=info',
      `PlugStackConfig=${path.join(dir, 'plugstack.conf')}`,
      `JobCompType=jobcomp/filetxt`,
      `JobCompLoc=${path.join(dir, 'jobcomp.txt')}`,
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'MpiDefault=none',
      'SwitchType=switch/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'SchedulerType=sched/builtin',
      // The main loop (which starts jobs whose begin time has passed, requeued ones say) runs every 2 s, not 60.
      'SchedulerParameters=sched_interval=2,batch_sched_delay=0',
      'EnforcePartLimits=ALL', // a submission over a partition's limits is refused, not left pending
      'ReturnToService=2',
      'JobRequeue=1',
      'KillWait=5',
      'MinJobAge=300',
      'InactiveLimit=0',
      'MessageTimeout=10',
      'SlurmctldTimeout=30',
      'SlurmdTimeout=30',
      'PreemptType=preempt/partition_prio',
      'PreemptMode=REQUEUE',
      'SlurmctldParameters=preempt_send_user_signal',
      ...nodes.map((n) => `NodeName=${n.name} NodeHostname=localhost NodeAddr=${n.addr} Port=${n.port} CPUs=${cpus} RealMemory=1000 State=UNKNOWN`),
      `PartitionName=low Nodes=n1,n2 Default=YES MaxTime=60 PriorityTier=1 GraceTime=${grace} State=UP`,
      'PartitionName=high Nodes=n1,n2 MaxTime=60 PriorityTier=10 State=UP',
      'PartitionName=tiny Nodes=n1,n2 MaxNodes=1 MaxTime=5 PriorityTier=1 State=UP',
    ].join('\n') + '\n',
  );
  const envFile = path.join(dir, 'env.sh');
  fs.writeFileSync(envFile, `export SLURM_CONF='${conf}'\n`, { mode: 0o644 });

  /** @type {{ name: string; pid: number; log: string }[]} */
  const daemons = [];
  const daemon = (name, file, args) => {
    const log = path.join(dir, `${name}.out`);
    const fd = fs.openSync(log, 'a');
    // Detached: each daemon leads its own session, which is how stop() finds slurmstepd and job processes.
    const proc = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env: fullEnv });
    fs.closeSync(fd);
    proc.unref();
    proc.on('error', () => {});
    daemons.push({ name, pid: proc.pid, log });
    return proc;
  };
  const killEverything = async () => {
    // Daemons first (slurmd before slurmctld, munged last), then anything left in their sessions.
    const order = ['slurmd-n1', 'slurmd-n2', 'slurmctld', 'munged'];
    const pids = order.map((n) => daemons.find((d) => d.name === n)?.pid).filter((p) => p !== undefined);
    await killAll(pids.slice(0, 2), 5000);
    await killAll(pids.slice(2), 5000);
    await killAll(
      clusterProcesses(
        daemons.map((d) => d.pid),
        conf,
      ).filter(alive),
      2000,
    );
  };
  // A crashed test process must not leave daemons behind.
  const onExit = () => {
    for (const pid of clusterProcesses(
      daemons.map((d) => d.pid),
      conf,
    )) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  process.once('exit', onExit);

  const run = (cmd, args) => execFileSync(cmd, args, { env: fullEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  const waitFor = async (pred, timeoutMs, what) => {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        if (pred()) return;
        last = '';
      } catch (e) {
        last = ` (last error: ${e instanceof Error ? e.message.split('\n')[0] : e})`; // a command failing now and then
      }
      if (Date.now() > deadline) throw new Error(`SLURM: timed out after ${timeoutMs} ms waiting for ${what}${last}.`);
      await sleep(200);
    }
  };
  const queue = () =>
    run('squeue', ['-h', '-r', '-o', '%i|%T|%j'])
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const [id, state, ...name] = l.split('|');
        return { id, state, name: name.join('|') };
      });
  const waitForEmptyQueue = (timeoutMs = 30_000) => waitFor(() => queue().length === 0, timeoutMs, 'an empty queue');

  try {
    daemon('munged', '/usr/sbin/munged', [
      '-F',
      '-f',
      `--socket=${mungeSocket}`,
      `--key-file=${mungeKey}`,
      `--pid-file=${path.join(mungeDir, 'munged.pid')}`,
      `--seed-file=${path.join(mungeDir, 'munged.seed')}`,
      `--log-file=${path.join(mungeDir, 'munged.log')}`,
      '--num-threads=2',
    ]);
    await waitFor(() => fs.existsSync(mungeSocket), 10_000, 'munged to create its socket');
    daemon('slurmctld', '/usr/sbin/slurmctld', ['-D', '-i', '-f', conf]);
    for (const n of nodes) daemon(`slurmd-${n.name}`, '/usr/sbin/slurmd', ['-D', '-f', conf, '-N', n.name]);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const dead = daemons.find((d) => !alive(d.pid));
      if (dead) throw new Error(`${dead.name} exited`);
      let states = [];
      try {
        states = run('sinfo', ['-h', '-N', '-p', 'low', '-o', '%N %t']).trim().split('\n');
      } catch {
        // slurmctld not listening yet
      }
      if (states.length === nodes.length && states.every((l) => l.endsWith(' idle'))) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for both nodes to be idle: ${states.join(', ') || 'no answer'}`);
      await sleep(100);
    }
  } catch (e) {
    const dead = daemons.filter((d) => !alive(d.pid)).map((d) => d.name);
    const logs = ['slurmctld.log', 'slurmd-n1.log', 'slurmd-n2.log', 'munged.out', 'slurmctld.out'].map((f) => `--- ${f}\n${tail(path.join(dir, f), 8)}`).join('\n');
    await killEverything();
    process.removeListener('exit', onExit);
    if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`SLURM did not start (${e instanceof Error ? e.message : e}; exited: ${dead.join(', ') || 'none'}).\n${logs}`, { cause: e });
  }

  let stopped = false;
  return {
    dir,
    conf,
    env,
    envFile,
    nodes,
    partitions,
    startMs: Date.now() - started,
    run,
    queue,
    waitForEmptyQueue,
    waitFor,
    async stop() {
      if (stopped) return;
      stopped = true;
      const ctld = daemons.find((d) => d.name === 'slurmctld');
      // With the controller gone every client command would wait MessageTimeout first: go straight to the kills.
      if (ctld && alive(ctld.pid)) {
        try {
          // %F: an array's own job id (a plain job's id), so one scancel takes a whole array.
          const ids = [
            ...new Set(
              run('squeue', ['-h', '-o', '%F'])
                .split('\n')
                .map((l) => l.trim())
                .filter(Boolean),
            ),
          ];
          if (ids.length) run('scancel', ids);
          await waitForEmptyQueue(20_000);
        } catch {
          // jobs stuck completing: the kills below end them
        }
      }
      await killEverything();
      process.removeListener('exit', onExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
