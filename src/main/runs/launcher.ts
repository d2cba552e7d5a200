// Launching a run: claim its directory on the host (mkdir is atomic), upload the supervisor, SDK,
// run.json, the recipe's files and the dataset, then start the supervisor through the host's backend.
// Everything lands private (folders 0700, files 0600): on a shared GPU server, other users must not
// read a run's code and data, whatever the host's umask.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Host } from '../../shared/domain/host';
import type { CodePin, Project } from '../../shared/domain/project';
import type { Run } from '../../shared/domain/run';
import { DEFAULT_SIGNAL_SECONDS, slurmTimeSeconds, type RunResources } from '../../shared/domain/slurm';
import { LaunchInput } from '../../shared/domain/run';
import { newUlid } from '../../shared/ids';
import { EngineError } from '../errors';
import { privately, runOrFail, shQuote, type HostAccess } from '../hosts/host-access';
import type { HostService } from '../hosts/host-service';
import type { ProjectStore } from '../projects/project-store';
import { getRecipe } from '../recipes';
import { PACKAGE_ROOT } from '../version';
import { backendFor, slurmScript, touchCancel } from './backends';
import { precheck, submit } from '../slurm/cluster';
import { batchScript, effectiveResources } from '../slurm/sbatch';
import type { RenderedRun } from '../recipes/recipe';
import { snapshotCode, type CodeSnapshot } from './code-snapshot';
import type { RunStore } from './run-store';

const REMOTE_DIR = path.join(PACKAGE_ROOT, 'resources', 'remote');

export interface LaunchDeps {
  projects: ProjectStore;
  hosts: HostService;
  runs: RunStore;
  onChanged(runId: string): void;
  /** A job went into a cluster's queue: its queue is worth reading again soon. */
  onSubmitted?(hostId: string): void;
}

function validationError(what: string, error: z.ZodError): EngineError {
  const issue = error.issues[0]!;
  return new EngineError('VALIDATION_FAILED', `Invalid ${what}: ${issue.path.join('.') || 'value'}: ${issue.message}`, {
    issues: error.issues.slice(0, 20).map((i) => ({ path: `params.${i.path.join('.')}`, message: i.message })),
  });
}

/** A local dataset file: read in chunks of this size, never whole (datasets are often bigger than memory). */
const DATASET_CHUNK_BYTES = 8 * 1024 * 1024;

/** The dataset a launch names: the file (a link the user gave is followed: they named it), its size and sha256, streamed. */
export interface Dataset {
  name: string;
  file: string;
  size: number;
  digest: string;
}

async function readDataset(given: string): Promise<Dataset> {
  let file: string;
  let stat: fs.Stats;
  try {
    file = await fs.promises.realpath(given);
    stat = await fs.promises.stat(file);
  } catch (err) {
    throw new EngineError('DATASET_NOT_FOUND', `Cannot read the dataset ${given}: ${(err as Error).message}. Give a readable local file.`);
  }
  if (!stat.isFile()) throw new EngineError('DATASET_NOT_FOUND', `The dataset ${given} is not a file (a folder, a device or a pipe). Give one file, e.g. data/train.jsonl.`);
  const hash = crypto.createHash('sha256');
  let size = 0;
  try {
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(DATASET_CHUNK_BYTES); // one buffer for the whole file
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, size);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        size += bytesRead;
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new EngineError('DATASET_NOT_FOUND', `Cannot read the dataset ${given}: ${(err as Error).message}. Give a readable local file.`);
  }
  return { name: path.basename(given), file, size, digest: hash.digest('hex') };
}

const datasetChanged = (dataset: Dataset) =>
  new EngineError(
    'DATASET_CHANGED',
    `The dataset ${dataset.file} changed while it was uploaded (it is no longer the ${dataset.size} bytes with sha256 ${dataset.digest.slice(0, 12)}… that were read first). Launch again once nothing writes to it.`,
  );

/**
 * Streams a dataset to `remote` in chunks, the next one read while the last one is written (two
 * buffers, used in turn), hashing what it sends: the copy must be the bytes the run records.
 */
async function uploadDataset(access: HostAccess, dataset: Dataset, remote: string): Promise<void> {
  const fh = await fs.promises.open(dataset.file, 'r');
  try {
    const hash = crypto.createHash('sha256');
    const buffers = [Buffer.allocUnsafe(DATASET_CHUNK_BYTES), Buffer.allocUnsafe(DATASET_CHUNK_BYTES)];
    // A buffer is refilled only after writeRange has returned: the write is done with it by then.
    const read = async (offset: number): Promise<Buffer> => {
      const buf = buffers[(offset / DATASET_CHUNK_BYTES) % 2]!.subarray(0, Math.min(DATASET_CHUNK_BYTES, dataset.size - offset));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead !== buf.length) throw datasetChanged(dataset);
      return buf;
    };
    if (dataset.size === 0) await access.writeRange(remote, 0, Buffer.alloc(0), { create: true, mode: 0o600 });
    let next: Promise<Buffer> | undefined = dataset.size > 0 ? read(0) : undefined;
    for (let offset = 0; next; offset += DATASET_CHUNK_BYTES) {
      const buf: Buffer = await next;
      next = offset + DATASET_CHUNK_BYTES < dataset.size ? read(offset + DATASET_CHUNK_BYTES) : undefined;
      next?.catch(() => {}); // awaited on the next turn; a failed write first must not leave it unhandled
      hash.update(buf);
      await access.writeRange(remote, offset, buf, offset === 0 ? { create: true, mode: 0o600 } : {});
    }
    // Grown, or rewritten in place, since it was hashed.
    if ((await fh.stat()).size !== dataset.size || hash.digest('hex') !== dataset.digest) throw datasetChanged(dataset);
  } finally {
    await fh.close();
  }
}

/**
 * Datasets live once per host under <root>/datasets/<sha256>/ and runs link to them: the same
 * dataset is uploaded once, however many runs use it. The upload lands under a temporary name
 * and is renamed, so a dropped link never leaves a half file under the final name. The folders
 * are 0700 and the file 0400 (read-only: many runs share it); a copy an older version left
 * readable by all is made private on the way.
 */
async function placeDataset(access: HostAccess, root: string, remoteDir: string, dataset: Dataset): Promise<boolean> {
  const store = `${root}/datasets`;
  const dir = `${store}/${dataset.digest}`;
  const file = `${dir}/${dataset.name}`;
  const have = await runOrFail(
    access,
    privately(
      `mkdir -p ${shQuote(dir)} && { chmod go-rwx ${shQuote(store)} ${shQuote(dir)} 2>/dev/null; if test -f ${shQuote(file)}; then chmod 400 ${shQuote(file)} 2>/dev/null; wc -c < ${shQuote(file)}; fi; }`,
    ),
    'Creating the dataset folder',
  );
  const size = have.trim().split('\n').pop() ?? ''; // the last line: a chatty ~/.bashrc may print first
  const uploaded = size === '' || Number(size) !== dataset.size;
  if (uploaded) {
    const tmp = `${file}.part-${newUlid()}`;
    try {
      await uploadDataset(access, dataset, tmp);
      await runOrFail(access, `chmod 400 ${shQuote(tmp)} && mv -f ${shQuote(tmp)} ${shQuote(file)}`, 'Storing the dataset');
    } catch (err) {
      await access.exec(`rm -f ${shQuote(tmp)}`, { timeoutMs: 30_000 }).catch(() => {});
      throw err;
    }
  }
  await runOrFail(access, `ln -s ${shQuote(`../../../datasets/${dataset.digest}/${dataset.name}`)} ${shQuote(`${remoteDir}/data/${dataset.name}`)}`, 'Linking the dataset');
  return uploaded;
}

/** A file of a run directory: path relative to it, contents, mode. */
export type RunFile = [string, string | Buffer, number];

/** A symbolic link of a run directory: path relative to it, target (relative to the link's folder). */
export type RunLink = [string, string];

/** The supervisor, the run prober and the SDK that every run directory carries in .tb/ (only the owner reads them). */
export function supervisorFiles(): RunFile[] {
  return [
    ['.tb/supervisor.py', fs.readFileSync(path.join(REMOTE_DIR, 'supervisor.py')), 0o700],
    ['.tb/probe_run.py', fs.readFileSync(path.join(REMOTE_DIR, 'probe_run.py')), 0o700],
    ['.tb/node_task.py', fs.readFileSync(path.join(REMOTE_DIR, 'node_task.py')), 0o700],
    ['.tb/lib/tunebench/__init__.py', fs.readFileSync(path.join(REMOTE_DIR, 'tunebench', '__init__.py')), 0o600],
    ['.tb/lib/tunebench/hf_hook.py', fs.readFileSync(path.join(REMOTE_DIR, 'tunebench', 'hf_hook.py')), 0o600],
    ['.tb/lib/sitecustomize.py', fs.readFileSync(path.join(REMOTE_DIR, 'sitecustomize.py')), 0o600],
  ];
}

/** Uploads files (and links) into a claimed run directory, creating their folders first, all private. */
export async function uploadRunFiles(access: HostAccess, remoteDir: string, uploads: RunFile[], links: RunLink[] = []): Promise<void> {
  const dirs = [...new Set([...uploads, ...links].map(([f]) => path.posix.dirname(f)).filter((d) => d !== '.'))];
  if (dirs.length) await runOrFail(access, privately(`cd ${shQuote(remoteDir)} && mkdir -p ${dirs.map(shQuote).join(' ')}`), 'Creating folders');
  // Several writes in flight at once: one at a time, each file cost a few round trips in a row.
  const queue = [...uploads];
  const writer = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await access.writeFile(`${remoteDir}/${next[0]}`, next[1], next[2]);
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, writer));
  for (const [link, target] of links) await access.symlink(target, `${remoteDir}/${link}`);
}

/**
 * Claims `<root>/runs/<id>` with mkdir (atomic: two launchers can never share one) and the folders every
 * run has, all 0700 (umask 077: `mkdir -p` gives the parents it creates the umask's mode, not -m's).
 */
export async function claimRunDir(access: HostAccess, root: string, remoteDir: string): Promise<void> {
  await runOrFail(
    access,
    privately(`mkdir -p ${shQuote(`${root}/runs`)} && mkdir ${shQuote(remoteDir)} && cd ${shQuote(remoteDir)} && mkdir -p .tb/lib/tunebench logs checkpoints outputs data`),
    'Creating the run directory',
  );
}

/** Starts a run's supervisor through its host's backend; on a cluster, records the job it was submitted as. */
export async function startSupervisor(runs: RunStore, access: HostAccess, host: Host, request: { runId: string; remoteDir: string; resources?: RunResources }): Promise<void> {
  const resources = host.slurm ? effectiveResources(request.resources, host.slurm) : undefined;
  const { jobId } = await backendFor(host).start(access, host, { ...request, ...(resources ? { resources } : {}) });
  if (jobId && resources) {
    runs.setJob(request.runId, jobId, resources);
    runs.setStatusIf(request.runId, ['QUEUED', 'STARTING'], 'PENDING'); // a cancel meanwhile stays: the job's supervisor sees the cancel file
  }
}

/** What is kept of a run's code in the tracker: enough to train the same code again (see continuous/code-pin.ts). */
const pinOf = (code: CodeSnapshot | undefined): CodePin | null => (code ? { dir: code.dir, digest: code.digest, commit: code.git?.commit ?? null, dirty: code.git?.dirty ?? false } : null);

interface Prepared {
  project: Project;
  host: Host;
  recipeName: string;
  params: Record<string, unknown>;
  rendered: RenderedRun;
  dataset: Dataset | undefined;
  code: CodeSnapshot | undefined;
  resources: RunResources | undefined;
  root: string;
}

/** Everything a launch needs that does not touch the host: checked before anything is recorded. */
async function prepare(deps: LaunchDeps, input: z.output<typeof LaunchInput>): Promise<Prepared> {
  const project = deps.projects.get(input.project);
  const host = deps.hosts.get(input.host);
  if ((input.resources || input.array) && !host.slurm) {
    throw new EngineError('VALIDATION_FAILED', `${host.name} is a workstation: resources (nodes, time, partition) and job arrays are for SLURM clusters. Leave them out, or choose a cluster.`);
  }
  if (input.gpus && host.slurm) {
    throw new EngineError('VALIDATION_FAILED', `${host.name} is a SLURM cluster: SLURM gives a job its GPUs (ask with --gpus-per-node), not a list of GPU indices. Leave gpus out.`);
  }
  const resources = host.slurm ? effectiveResources(input.resources, host.slurm) : undefined;
  const recipe = getRecipe(input.recipe);
  if (resources && (resources.nodes ?? 1) > 1 && !recipe.multiNode) {
    throw new EngineError(
      'VALIDATION_FAILED',
      `${recipe.name} runs on one node: its command has no way to share the work between nodes. Ask for --nodes 1, or use a recipe that runs torchrun (hf-sft, torchtune, demo-lora-torch) or your own command (custom).`,
    );
  }
  const warning = host.slurm?.signalSeconds ?? DEFAULT_SIGNAL_SECONDS;
  if (resources?.time && slurmTimeSeconds(resources.time) <= warning + 20) {
    throw new EngineError(
      'VALIDATION_FAILED',
      `A time limit of ${resources.time} leaves no room: SLURM warns the run ${warning} s before its limit so it can checkpoint and be requeued. Ask for more time (--time), or a shorter warning on the cluster (host set --signal-seconds).`,
    );
  }
  const parsed = recipe.params.safeParse(input.params ?? {});
  if (!parsed.success) throw validationError(`parameters for ${recipe.name}`, parsed.error);
  // Streamed: a dataset of any size is hashed without holding it in memory.
  const dataset = input.dataset ? await readDataset(input.dataset) : undefined;
  const code: CodeSnapshot | undefined = input.code ? snapshotCode(input.code) : undefined;
  const rendered = recipe.render(parsed.data, { python: host.python, ...(dataset ? { dataset: `data/${dataset.name}` } : {}), ...(resources?.nodes ? { nodes: resources.nodes } : {}) });
  // Pinned GPUs (a sweep's trial): the run sees only those, whatever the recipe set.
  if (input.gpus) rendered.env = { ...rendered.env, CUDA_VISIBLE_DEVICES: input.gpus.join(',') };
  return { project, host, recipeName: recipe.name, params: parsed.data as Record<string, unknown>, rendered, dataset, code, resources, root: host.runRoot.replace(/\/+$/, '') };
}

/** Claims the run's directory and uploads everything it runs with; the run is STARTING after, or false when it was cancelled meanwhile (see claimStart). */
async function placeRun(deps: LaunchDeps, access: HostAccess, p: Prepared, id: string, remoteDir: string): Promise<boolean> {
  await claimRunDir(access, p.root, remoteDir);
  const runJson = {
    id,
    project: { id: p.project.id, name: p.project.name, baseModel: p.project.baseModel },
    recipe: p.recipeName,
    params: p.params,
    command: p.rendered.command,
    env: p.rendered.env,
    cancelGraceSeconds: 30,
    dataset: p.dataset ? { file: `data/${p.dataset.name}`, sha256: p.dataset.digest, bytes: p.dataset.size } : null,
    code: p.code
      ? {
          dir: 'code',
          digest: p.code.digest,
          files: p.code.files.length,
          links: p.code.links.length,
          // Links out of the directory are not uploaded: say which, so a missing file on the host is explained.
          ...(p.code.skipped.length ? { notUploaded: p.code.skipped.slice(0, 100) } : {}),
          git: p.code.git,
        }
      : null,
    ...(p.code && p.recipeName === 'custom' ? { cwd: 'code' } : {}),
    ...(p.resources ? { resources: p.resources } : {}),
    createdAt: new Date().toISOString(),
  };
  const code = p.code;
  const uploads: RunFile[] = [
    ...supervisorFiles(),
    ...Object.entries(p.rendered.files).map(([f, data]): RunFile => [f, data, 0o600]),
    ...(code ? code.files.map((f): RunFile => [`code/${f.path}`, code.contents.get(f.path)!, f.executable ? 0o700 : 0o600]) : []),
    ['run.json', JSON.stringify(runJson, null, 2) + '\n', 0o400],
  ];
  await uploadRunFiles(access, remoteDir, uploads, code ? code.links.map((l): RunLink => [`code/${l.path}`, l.target]) : []);
  if (p.dataset) await placeDataset(access, p.root, remoteDir, p.dataset);
  if (!(await claimStart(deps.runs, access, id, remoteDir))) return false;
  deps.onChanged(id);
  return true;
}

/**
 * QUEUED -> STARTING once a run's files are in place, unless it was cancelled while they were uploaded
 * (cancelRun marks a QUEUED run CANCELLED and leaves the rest to the launch) or failed as a launch cut
 * short. Then nothing starts, and a cancel file in its directory stops at once any supervisor started
 * later (by a sweep's scheduler, a job array). False when it must not start.
 */
export async function claimStart(runs: RunStore, access: HostAccess, id: string, remoteDir: string): Promise<boolean> {
  if (runs.setStatusIf(id, ['QUEUED'], 'STARTING')) return true;
  await touchCancel(access, remoteDir).catch(() => {});
  const run = runs.get(id);
  if (run.status === 'CANCELLED') return false;
  // Failed meanwhile: another engine opening on this data directory took a launch this slow for one cut short.
  throw new EngineError('RUN_CHANGED', `Run ${id} was marked ${run.status.toLowerCase()} while its files were uploaded (${run.lastError ?? 'no reason given'}); nothing was started. Start it again.`);
}

export async function launchRun(deps: LaunchDeps, input: z.output<typeof LaunchInput>): Promise<Run> {
  if (input.array) return (await launchArray(deps, input))[0]!;
  const p = await prepare(deps, input);
  const id = newUlid();
  const remoteDir = `${p.root}/runs/${id}`;
  // Reach the host before recording the run: an unknown host key or a passphrase the CLI asks for
  // (and then launches again) must not leave a FAILED run behind. On a cluster, SLURM checks the job
  // against the partition's limits, the account and the QOS first, for the same reason.
  const access = await deps.hosts.access(p.host, { now: true });
  if (p.host.slurm) await precheck(access, p.host, slurmScript(p.host, id, p.resources!));
  deps.runs.insert({ id, projectId: p.project.id, hostId: p.host.id, recipe: p.recipeName, params: p.params, remoteDir, status: 'QUEUED', code: pinOf(p.code) });
  deps.onChanged(id);
  try {
    if (await placeRun(deps, access, p, id, remoteDir)) {
      await startSupervisor(deps.runs, access, p.host, { runId: id, remoteDir, ...(p.resources ? { resources: p.resources } : {}) });
      deps.onSubmitted?.(p.host.id);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.runs.setStatusIf(id, ['QUEUED', 'STARTING'], 'FAILED', { lastError: `Launch failed: ${message}` });
    deps.onChanged(id);
    throw err;
  }
  deps.onChanged(id);
  return deps.runs.get(id);
}

/**
 * Runs placed on their host but not started, one per parameter set (a sweep's trials): each is PENDING
 * until the sweep's scheduler on the host starts its supervisor. The dataset and code are read once.
 * On a cluster each run's batch script is written beside it (.tb/job.sbatch, checked once with
 * sbatch --test-only) and the sweep's scheduler submits it.
 */
export async function stageRuns(deps: LaunchDeps, input: z.output<typeof LaunchInput>, paramSets: Record<string, unknown>[], access: HostAccess): Promise<Run[]> {
  const base = await prepare(deps, input);
  if (base.host.slurm) await precheck(access, base.host, slurmScript(base.host, newUlid(), base.resources!));
  const recipe = getRecipe(base.recipeName);
  const staged = paramSets.map((params) => {
    const parsed = recipe.params.parse(params) as Record<string, unknown>;
    const rendered = recipe.render(parsed as never, { python: base.host.python, ...(base.dataset ? { dataset: `data/${base.dataset.name}` } : {}) });
    return { p: { ...base, params: parsed, rendered }, id: newUlid() };
  });
  for (const { p, id } of staged) {
    deps.runs.insert({ id, projectId: p.project.id, hostId: p.host.id, recipe: p.recipeName, params: p.params, remoteDir: `${p.root}/runs/${id}`, status: 'QUEUED', code: pinOf(p.code) });
    deps.onChanged(id);
  }
  try {
    for (const { p, id } of staged) {
      // One cancelled meanwhile stays CANCELLED; its cancel file stops it at once if the scheduler starts it (on a
      // cluster its batch script is written all the same: the scheduler submits every trial it was given).
      const placed = await placeRun(deps, access, p, id, `${p.root}/runs/${id}`);
      if (p.host.slurm) await access.writeFile(`${p.root}/runs/${id}/.tb/job.sbatch`, slurmScript(p.host, id, p.resources!), 0o600);
      if (placed) deps.runs.setStatusIf(id, ['STARTING'], 'PENDING');
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const { id } of staged) deps.runs.setStatusIf(id, ['QUEUED', 'STARTING', 'PENDING'], 'FAILED', { lastError: `Launch failed: ${message}` });
    throw err;
  } finally {
    staged.forEach(({ id }) => deps.onChanged(id));
  }
  return staged.map(({ id }) => deps.runs.get(id));
}

/**
 * N runs with the same recipe, parameters and resources as one SLURM job array: each element is its own
 * run (own directory, own streams), element i running the directory on line i+1 of the array's list.
 */
export async function launchArray(deps: LaunchDeps, input: z.output<typeof LaunchInput>): Promise<Run[]> {
  const p = await prepare(deps, input);
  const array = input.array;
  if (!array || !p.host.slurm) throw new EngineError('VALIDATION_FAILED', 'A job array needs --array N on a SLURM cluster.');
  const arrayId = newUlid();
  const ids = Array.from({ length: array.count }, () => newUlid());
  const arrayDir = `${p.root}/arrays/${arrayId}`;
  const script = batchScript({
    jobName: `tb-array-${arrayId}`,
    resources: p.resources!,
    settings: p.host.slurm,
    python: p.host.python,
    output: 'slurm-%A_%a.out',
    array: { count: array.count, ...(array.throttle ? { throttle: array.throttle } : {}), dirsFile: 'runs.txt' },
  });
  const access = await deps.hosts.access(p.host, { now: true });
  await precheck(access, p.host, script);
  for (const id of ids)
    deps.runs.insert({ id, projectId: p.project.id, hostId: p.host.id, recipe: p.recipeName, params: p.params, remoteDir: `${p.root}/runs/${id}`, status: 'QUEUED', code: pinOf(p.code) });
  ids.forEach((id) => deps.onChanged(id));
  try {
    for (const id of ids) await placeRun(deps, access, p, id, `${p.root}/runs/${id}`);
    await runOrFail(access, privately(`mkdir -p ${shQuote(arrayDir)}`), "Creating the job array's folder");
    await access.writeFile(`${arrayDir}/runs.txt`, ids.map((id) => `../../runs/${id}`).join('\n') + '\n', 0o600);
    await access.writeFile(`${arrayDir}/job.sbatch`, script, 0o600);
    const jobId = await submit(access, p.host, arrayDir, 'job.sbatch');
    ids.forEach((id, i) => {
      deps.runs.setJob(id, `${jobId}_${i}`, p.resources!);
      deps.runs.setStatusIf(id, ['STARTING'], 'PENDING'); // an element cancelled meanwhile stays so (its cancel file stops it)
    });
    deps.onSubmitted?.(p.host.id);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    for (const id of ids) deps.runs.setStatusIf(id, ['QUEUED', 'STARTING'], 'FAILED', { lastError: `Launch failed: ${message}` });
    throw err;
  } finally {
    ids.forEach((id) => deps.onChanged(id));
  }
  return ids.map((id) => deps.runs.get(id));
}
