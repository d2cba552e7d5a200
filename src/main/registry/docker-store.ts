// `registry login` keeps credentials where docker keeps them, so later commands (and docker itself)
// find them: the configured credential helper when there is one (the OS keychain), else config.json
// as `docker login` writes it (base64, file mode 0600). Never in Tunebench's database.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors';
import { defaultDockerConfigFile } from './oci/auth';

interface DockerConfig {
  auths?: Record<string, { auth?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

function runHelperStore(helper: string, server: string, username: string, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ['store'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', () =>
      reject(
        new EngineError(
          'REGISTRY_AUTH_FAILED',
          `docker's config names the credential helper docker-credential-${helper}, which is not installed; install it or remove "credsStore" from ${defaultDockerConfigFile()}.`,
        ),
      ),
    );
    child.on('close', (code) => (code === 0 ? resolve() : reject(new EngineError('REGISTRY_AUTH_FAILED', `docker-credential-${helper} could not store the login: ${err.trim().slice(0, 300)}`))));
    child.stdin.end(JSON.stringify({ ServerURL: server, Username: username, Secret: password }));
  });
}

/** Stores a login for `host`; says where it went. */
export async function storeDockerCredentials(host: string, username: string, password: string, configFile = defaultDockerConfigFile()): Promise<'helper' | 'config.json'> {
  let config: DockerConfig = {};
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as DockerConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new EngineError('VALIDATION_FAILED', `Cannot read ${configFile}: ${(e as Error).message}. Fix or move it, then log in again.`);
  }
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  if (helper && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    await runHelperStore(helper, host, username, password);
    return 'helper';
  }
  config.auths = { ...(config.auths ?? {}), [host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  fs.mkdirSync(path.dirname(configFile), { recursive: true, mode: 0o700 });
  const tmp = `${configFile}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  fs.renameSync(tmp, configFile);
  return 'config.json';
}
