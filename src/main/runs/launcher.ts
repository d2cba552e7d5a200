// Launching a run: claim its directory on the host (mkdir is atomic), upload the supervisor, SDK,
// run.json, the recipe's files and the dataset, then start the supervisor through the host's backend.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Run } from '../../shared/domain/run';
import { LaunchInput } from '../../shared/domain/run';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import { shQuote, type HostAccess } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import type { ProjectStore } from '../projects/project-store';
import { getRecipe } from '../recipes';
import { PACKAGE_ROOT } from '../version';
import { backendFor } from './backends';
import { snapshotCode, type CodeSnapshot } from './code-snapshot';
import type { RunStore } from './run-store';

const REMOTE_DIR = path.join(PACKAGE_ROOT, 'resources', 'remote');

export interface LaunchDeps {
  projects: ProjectStore;
  hosts: HostService;
  runs: RunStore;
  onChanged(runId: string): void;
}

function validationError(what: string, error: z.ZodError): EngineError {
  const issue = error.issues[0]!;
  return new EngineError('VALIDATION_FAILED', `Invalid ${what}: ${issue.path.join('.') || 'value'}: ${issue.message}`, {
    issues: error.issues.slice(0, 20).map((i) => ({ path: `params.${i.path.join('.')}`, message: i.message })),
  });
}

async function run(access: HostAccess, command: string, what: string): Promise<string> {
  const r = await access.exec(command, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new EngineError('REMOTE_COMMAND_FAILED', `${what} failed on the host (exit ${r.code}): ${r.stderr.trim().slice(-500) || r.stdout.trim().slice(-500) || 'no output'}.`);
  return r.stdout;
}

/**
 * Datasets live once per host under <root>/datasets/<sha256>/ and runs link to them: the same
 * dataset is uploaded once, however many runs use it. The upload lands under a temporary name
 * and is renamed, so a dropped link never leaves a half file under the final name.
 */
async function placeDataset(access: HostAccess, root: string, remoteDir: string, dataset: { name: string; bytes: Buffer; digest: string }): Promise<boolean> {
  const dir = `${root}/datasets/${dataset.digest}`;
  const file = `${dir}/${dataset.name}`;
  const have = await access.exec(`test -f ${shQuote(file)} && wc -c < ${shQuote(file)}`, { timeoutMs: 30_000 });
  const uploaded = !(have.code === 0 && Number(have.stdout.trim()) === dataset.bytes.length);
  if (uploaded) {
    await run(access, `mkdir -p ${shQuote(dir)}`, 'Creating the dataset folder');
    const tmp = `${file}.part-${newUlid()}`;
    await access.writeFile(tmp, dataset.bytes, 0o444);
    await run(access, `mv -f ${shQuote(tmp)} ${shQuote(file)}`, 'Storing the dataset');
  }
  await run(access, `ln -s ${shQuote(`../../../datasets/${dataset.digest}/${dataset.name}`)} ${shQuote(`${remoteDir}/data/${dataset.name}`)}`, 'Linking the dataset');
  return uploaded;
}

/** A file of a run directory: path relative to it, contents, mode. */
export type RunFile = [string, string | Buffer, number];

/** The supervisor, the run prober and the SDK that every run directory carries in .tb/. */
export function supervisorFiles(): RunFile[] {
  return [
    ['.tb/supervisor.py', fs.readFileSync(path.join(REMOTE_DIR, 'supervisor.py')), 0o755],
    ['.tb/probe_run.py', fs.readFileSync(path.join(REMOTE_DIR, 'probe_run.py')), 0o755],
    ['.tb/lib/tunebench/__init__.py', fs.readFileSync(path.join(REMOTE_DIR, 'tunebench', '__init__.py')), 0o644],
    ['.tb/lib/tunebench/hf_hook.py', fs.readFileSync(path.join(REMOTE_DIR, 'tunebench', 'hf_hook.py')), 0o644],
    ['.tb/lib/sitecustomize.py', fs.readFileSync(path.join(REMOTE_DIR, 'sitecustomize.py')), 0o644],
  ];
}

/** Uploads files into a claimed run directory, creating their folders first. */
export async function uploadRunFiles(access: HostAccess, remoteDir: string, uploads: RunFile[]): Promise<void> {
  const dirs = [...new Set(uploads.map(([f]) => path.posix.dirname(f)).filter((d) => d !== '.'))];
  if (dirs.length) await run(access, `cd ${shQuote(remoteDir)} && mkdir -p ${dirs.map(shQuote).join(' ')}`, 'Creating folders');
  // Several writes in flight at once: one at a time, each file cost a few round trips in a row.
  const queue = [...uploads];
  const writer = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await access.writeFile(`${remoteDir}/${next[0]}`, next[1], next[2]);
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, writer));
}

/** Claims `<root>/runs/<id>` with mkdir (atomic: two launchers can never share one) and the folders every run has. */
export async function claimRunDir(access: HostAccess, root: string, remoteDir: string): Promise<void> {
  await run(access, `mkdir -p ${shQuote(`${root}/runs`)} && mkdir ${shQuote(remoteDir)} && cd ${shQuote(remoteDir)} && mkdir -p .tb/lib/tunebench logs checkpoints outputs data`, 'Creating the run directory');
}

export async function launchRun(deps: LaunchDeps, input: z.output<typeof LaunchInput>): Promise<Run> {
  const project = deps.projects.get(input.project);
  const host = deps.hosts.store.get(input.host);
  const recipe = getRecipe(input.recipe);
  const parsed = recipe.params.safeParse(input.params ?? {});
  if (!parsed.success) throw validationError(`parameters for ${recipe.name}`, parsed.error);
  let dataset: { name: string; bytes: Buffer; digest: string } | undefined;
  if (input.dataset) {
    try {
      const bytes = fs.readFileSync(input.dataset);
      dataset = { name: path.basename(input.dataset), bytes, digest: crypto.createHash('sha256').update(bytes).digest('hex') };
    } catch (err) {
      throw new EngineError('DATASET_NOT_FOUND', `Cannot read the dataset ${input.dataset}: ${(err as Error).message}. Give a readable local file.`);
    }
  }
  const code: CodeSnapshot | undefined = input.code ? snapshotCode(input.code) : undefined;
  const id = newUlid();
  const root = host.runRoot.replace(/\/+$/, '');
  const remoteDir = `${root}/runs/${id}`;
  const rendered = recipe.render(parsed.data, { python: host.python, ...(dataset ? { dataset: `data/${dataset.name}` } : {}) });
  // Reach the host before recording the run: an unknown host key or a passphrase the CLI asks for
  // (and then launches again) must not leave a FAILED run behind.
  const access = await deps.hosts.access(host, { now: true });
  deps.runs.insert({ id, projectId: project.id, hostId: host.id, recipe: recipe.name, params: parsed.data, remoteDir, status: 'QUEUED' });
  deps.onChanged(id);

  try {
    await claimRunDir(access, root, remoteDir);
    const runJson = {
      id,
      project: { id: project.id, name: project.name, baseModel: project.baseModel },
      recipe: recipe.name,
      params: parsed.data,
      command: rendered.command,
      env: rendered.env,
      cancelGraceSeconds: 30,
      dataset: dataset ? { file: `data/${dataset.name}`, sha256: dataset.digest } : null,
      code: code ? { dir: 'code', digest: code.digest, files: code.files.length, git: code.git } : null,
      ...(code && recipe.name === 'custom' ? { cwd: 'code' } : {}),
      createdAt: new Date().toISOString(),
    };
    const uploads: RunFile[] = [
      ...supervisorFiles(),
      ...Object.entries(rendered.files).map(([f, data]): RunFile => [f, data, 0o644]),
      ...(code ? code.files.map((f): RunFile => [`code/${f.path}`, code.contents.get(f.path)!, 0o644]) : []),
      ['run.json', JSON.stringify(runJson, null, 2) + '\n', 0o444],
    ];
    await uploadRunFiles(access, remoteDir, uploads);
    if (dataset) await placeDataset(access, root, remoteDir, dataset);
    deps.runs.setStatus(id, 'STARTING');
    deps.onChanged(id);
    await backendFor(host).start(access, host, remoteDir);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.runs.setStatus(id, 'FAILED', { lastError: `Launch failed: ${message}` });
    deps.onChanged(id);
    throw err;
  }
  return deps.runs.get(id);
}
