// A real ssh-agent for tests, ready when this returns: its socket file appears when it binds, a moment
// before it listens, so readiness is `ssh-add -l` answering (exit 1: no identities; 2: cannot connect).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export async function startAgent(sock: string, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore', env });
  const answers = () => spawnSync('ssh-add', ['-l'], { env: { ...env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' }).status;
  const deadline = Date.now() + 10_000;
  while (answers() === 2) {
    if (Date.now() > deadline) {
      agent.kill();
      throw new Error(`ssh-agent did not answer on ${sock} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return agent;
}
