// Composition root: open the data directory, build the services, and return the engine every transport uses.
import type Database from 'better-sqlite3';
import type { AppInfo, EventPayload } from '../shared/contract';
import { CHANGE_EVENT_NAMES, type ChangeEventName } from '../shared/names';
import { openDatabase } from './db/open';
import { EventBus } from './events';
import { resolveDataDir } from './paths';
import { seedDemo } from './demo/seed';
import { HostService } from './hosts/host-service';
import { MetricQueries } from './metrics/metric-queries';
import { CandidateStore } from './projects/candidates';
import { ProjectStore } from './projects/project-store';
import { ProjectSummaries } from './projects/project-summaries';
import { describeRecipes } from './recipes';
import { Ingestor } from './runs/ingest';
import { launchArray, launchRun } from './runs/launcher';
import { ClusterMonitor } from './slurm/cluster-monitor';
import { cancelRun, syncRun, type SyncDeps } from './runs/run-sync';
import { RunStore } from './runs/run-store';
import { RunWatcher } from './runs/run-watcher';
import { RunsTable } from './runs/runs-table';
import { runCheckpoints } from './runs/checkpoints';
import { LogSearch } from './runs/log-search';
import { MarkerPlaces } from './runs/marker-places';
import { WindowQueries } from './metrics/window-query';
import { EngineError } from './errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApprovalRulesStore } from './review/approval-rules';
import { ApprovalStore } from './review/approvals';
import { BundleStore, exportBundle, importBundle } from './review/bundle';
import { BundleUploads } from './review/uploads';
import { decide, signedDecisionFile } from './review/decide';
import { Identity } from './review/identity';
import { agentSigners } from './signing/sshsig';
import type { ModelBackend } from './registry/backend';
import { openBackend } from './registry/backends';
import { listPushes, pushApproval, type PushDeps } from './registry/push';
import { moveAlias, pullModel, verifyInRegistry } from './registry/registry-service';
import { RegistryStore, type RegistryTarget } from './registry/registry-store';
import { storeDockerCredentials } from './registry/docker-store';
import { createDispatch, directCaller, type Dispatch, type Handlers } from './rpc/dispatch';
import { APP_VERSION } from './version';
import { SuiteStore } from './testing/suite-store';
import { TestStore } from './testing/test-store';
import { parseModelRef, resumeTest, startTest, type TestDeps } from './testing/test-launcher';
import { buildReport, refreshOutcome, renderReportFiles } from './testing/test-report';
import { FINAL_STATUSES, LaunchInput } from '../shared/domain/run';
import { SweepStore } from './sweeps/sweep-store';
import { controlSweep, createSweep, saveBest, startSweep, syncSweep, type SweepDeps } from './sweeps/sweep-service';
import { SweepWatcher } from './sweeps/sweep-watcher';
import { AppSweepDriver } from './sweeps/app-driver';
import { DatasetStore } from './continuous/datasets';
import { TriggerStore } from './continuous/triggers';
import { ContinuousTraining } from './continuous/pipeline';
import { lookAtWatched } from './continuous/remote-datasets';

export interface EngineOptions {
  /** Overrides TUNEBENCH_HOME and the OS default. */
  dataDir?: string;
  /** Validate every output against the contract (tests turn this on). */
  checkOutputs?: boolean;
  /** How often to look for changes made by other processes (the CLI beside the app), in ms; 0 turns it off. */
  externalChangePollMs?: number;
  /** How often unfinished runs are synced, in ms; 0 (the CLI's default) syncs only when asked. */
  runSyncIntervalMs?: number;
  /** known_hosts files to trust (default ~/.ssh/known_hosts). */
  knownHostsFiles?: string[];
  /** SSH agent socket (default $SSH_AUTH_SOCK; '' for none). */
  agentSocket?: string;
  /** Seconds without a heartbeat before a run whose process is gone counts as LOST (default 60). */
  heartbeatStaleSeconds?: number;
  /** In-memory key passphrases shared across engines of one process (the CLI's retry after asking). */
  passphrases?: Map<string, string>;
  /** Shortest and longest wait between two reads of a SLURM cluster's queue (default 2 s and 60 s). */
  slurmQueueIntervalMs?: { min: number; max: number };
}

export interface Engine {
  readonly dataDir: string;
  readonly databasePath: string;
  readonly db: Database.Database;
  readonly events: EventBus;
  readonly dispatch: Dispatch;
  readonly call: ReturnType<typeof directCaller>;
  readonly hosts: HostService;
  /** How live runs are followed: full reads made, frames stored from hosts' channels, channels opened. */
  liveStats(): { fullReads: number; framesStored: number; channelsOpened: number; resyncs: number };
  close(): void;
}

export function openEngine(options: EngineOptions = {}): Engine {
  const dataDir = resolveDataDir(options.dataDir);
  const opened = openDatabase(dataDir);
  const { db } = opened;
  const events = new EventBus();
  const projects = new ProjectStore(db);
  const projectSummaries = new ProjectSummaries(db);
  // One in-memory store of key passphrases for SSH logins and for signing decisions.
  const passphrases = options.passphrases ?? new Map<string, string>();
  const agentSocket = options.agentSocket !== undefined ? options.agentSocket || undefined : process.env.SSH_AUTH_SOCK || undefined;
  const hosts = new HostService(db, {
    dataDir,
    ...(options.knownHostsFiles ? { knownHostsFiles: options.knownHostsFiles } : {}),
    ...(options.agentSocket !== undefined ? { agentSocket: options.agentSocket || undefined } : {}),
    passphrases,
  });
  const runs = new RunStore(db);
  const windows = new WindowQueries(db);
  const metrics = new MetricQueries(db, windows);
  const candidates = new CandidateStore(db, projects, runs);
  const runsTable = new RunsTable(db);
  const logSearch = new LogSearch(db);
  const markerPlaces = new MarkerPlaces(db, windows);
  const suites = new SuiteStore(db, projects);
  const tests = new TestStore(db, suites);
  const reportDeps = { projects, runs, suites, tests };
  const identity = new Identity(db);
  const rules = new ApprovalRulesStore(db);
  const bundles = new BundleStore(db);
  const bundleDeps = { db, projects, runs, suites, tests, candidates, rules };
  const approvals = new ApprovalStore({ ...bundleDeps });
  const uploads = new BundleUploads(path.join(dataDir, 'imports'));
  const registries = new RegistryStore(db, hosts);
  const registryDeps = { projects, runs, rules, identity };
  const pushDeps: PushDeps = { db, projects, runs, suites, tests, hosts, approvals, rules, onProgress: (p) => events.emit('registry.pushProgress', p) };
  /** Opens the registry's backend for one call and closes it after, whatever happens. */
  const withBackend = async <T>(ref: string, fn: (backend: ModelBackend, target: RegistryTarget) => Promise<T>): Promise<T> => {
    const target = registries.get(ref);
    const knownModels = (registryId: string) =>
      db
        .prepare<[string], { model: string }>('SELECT DISTINCT model FROM pushes WHERE registry_id = ?')
        .all(registryId)
        .map((r) => r.model);
    const backend = await openBackend(target, { hosts, registries, knownModels });
    try {
      return await fn(backend, target);
    } finally {
      backend.close();
    }
  };
  // While cases stream in, the verdict is refreshed at most every few seconds; once the run ends, the report is made.
  const lastRefresh = new Map<string, number>();
  const afterTestSync = (run: { id: string; status: string }) => {
    const final = (FINAL_STATUSES as readonly string[]).includes(run.status);
    const now = Date.now();
    if (!final && now - (lastRefresh.get(run.id) ?? 0) < 3000) return;
    lastRefresh.set(run.id, now);
    refreshOutcome(reportDeps, run.id, final);
  };
  const syncDeps: SyncDeps = {
    hosts,
    runs,
    ingestor: new Ingestor(db, (runId, lines) => tests.storeLines(runId, lines)),
    afterSync: (run) => afterTestSync(run),
    onChanged: (runId) => events.emit('runs.changed', { runId }),
    onLogAppended: (runId, lines) => events.emit('runs.logAppended', { runId, lines }),
    ...(options.heartbeatStaleSeconds !== undefined ? { heartbeatStaleSeconds: options.heartbeatStaleSeconds } : {}),
    slurm: new ClusterMonitor(options.slurmQueueIntervalMs ? { minIntervalMs: options.slurmQueueIntervalMs.min, maxIntervalMs: options.slurmQueueIntervalMs.max } : {}),
  };
  const launchDeps = { projects, hosts, runs, onChanged: syncDeps.onChanged, onSubmitted: (hostId: string) => syncDeps.slurm.nudge(hostId) };
  const watcher = new RunWatcher(syncDeps, options.runSyncIntervalMs ?? 0);
  const sweepDeps: SweepDeps = {
    ...launchDeps,
    sweeps: new SweepStore(db),
    saveRecipe: (project, fromRun) => {
      const p = candidates.saveRecipeFrom(project, fromRun);
      events.emit('projects.changed', { projectId: p.id });
      return p;
    },
    // The sweep pages follow sweeps.changed; trials are runs, each announced with runs.changed as it changes.
    onSweepChanged: (sweepId) => events.emit('sweeps.changed', { sweepId }),
    cancelRun: (runId) => cancelRun(syncDeps, runId),
  };
  const sweepWatcher = new SweepWatcher(sweepDeps, options.runSyncIntervalMs ?? 0);
  const appSweepDriver = new AppSweepDriver(sweepDeps, options.runSyncIntervalMs ?? 0);
  const datasets = new DatasetStore(db, dataDir);
  const triggers = new TriggerStore(db);
  const lastLooks = new Map<string, number>();
  const continuous = new ContinuousTraining({
    triggers,
    datasets,
    project: (id) => projects.get(id),
    run: (id) => runs.get(id),
    pinnedSuite: (projectId) => tests.projectPolicy(projectId).pinnedSuite,
    // The saved recipe's parameters are checked again as a launch's: a recipe changed since may refuse them.
    launch: (input) => launchRun(launchDeps, LaunchInput.parse(input)),
    scratchDir: path.join(dataDir, 'tmp', 'continuous'),
    startTest: (input) => startTest(testDeps, input),
    test: (id) => tests.summary(id),
    propose: (runId, reason) => {
      const candidate = candidates.propose({ run: runId, reason }, identity.get());
      events.emit('projects.changed', { projectId: candidate.projectId });
    },
    onChanged: (projectId) => events.emit('projects.changed', { projectId }),
    lookAtWatchedDatasets: async (now) => {
      const found = [];
      for (const watched of datasets.watched()) {
        // Every 30 s at most (a look is a remote process): a file that changes is seen within a minute.
        if (!now && Date.now() - (lastLooks.get(watched.dataset.id) ?? 0) < 30_000) continue;
        lastLooks.set(watched.dataset.id, Date.now());
        try {
          const host = hosts.get(watched.dataset.watch!.hostId);
          const version = await lookAtWatched(datasets, watched, await hosts.access(host), host.python, host.name);
          if (version) found.push({ dataset: watched.dataset, version });
        } catch (err) {
          datasets.setWatchSeen(watched.dataset.id, null, `Cannot reach the host: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return found;
    },
    triggersOf: (datasetId) => triggers.forDataset(datasetId),
  });
  // The pipeline moves while the app is open (the CLI moves it with `trigger tick`).
  const continuousTimer = (options.runSyncIntervalMs ?? 0) > 0 ? setInterval(() => void continuous.tick().catch(() => {}), Math.max(options.runSyncIntervalMs!, 1000)) : undefined;
  continuousTimer?.unref();
  const testDeps: TestDeps = { projects, hosts, runs, suites, tests, onChanged: syncDeps.onChanged };
  const testChanged = (id: string) => {
    const run = runs.get(id);
    refreshOutcome(reportDeps, id, (FINAL_STATUSES as readonly string[]).includes(run.status));
    events.emit('runs.changed', { runId: id });
    return tests.summary(id);
  };

  const info = (transport: AppInfo['transport']): AppInfo => ({
    version: APP_VERSION,
    dataDir,
    databasePath: opened.path,
    schemaVersion: opened.schemaVersion,
    transport,
  });

  const changed = <T extends { id: string }>(project: T): T => {
    events.emit('projects.changed', { projectId: project.id });
    return project;
  };
  // Every change to hosts and registries is told, as projects' are: another window may show them.
  const hostChanged = <T>(hostId: string, result: T): T => {
    events.emit('hosts.changed', { hostId });
    return result;
  };
  const registryChanged = <T>(registryId: string | null, result: T): T => {
    events.emit('registries.changed', { registryId });
    return result;
  };

  const handlers: Handlers = {
    'app.info': (_input, ctx) => info(ctx.transport),
    'projects.list': (input) => projects.list(input.includeArchived ?? false),
    'projects.get': (input) => projects.get(input.ref),
    'projects.create': (input) => changed(projects.create(input)),
    'projects.rename': (input) => changed(projects.rename(input.ref, input.name)),
    'projects.describe': (input) => changed(projects.describe(input.ref, input)),
    'projects.archive': (input) => changed(projects.setArchived(input.ref, input.archived)),
    'projects.setObjective': (input) => changed(projects.setObjective(input.ref, input.metric, input.goal)),
    'projects.setRecipe': (input) => changed(candidates.saveRecipeFrom(input.ref, input.fromRun)),
    'projects.summaries': () => projectSummaries.all(),
    'candidates.propose': (input) => {
      const candidate = candidates.propose(input, identity.get());
      events.emit('projects.changed', { projectId: candidate.projectId });
      return candidate;
    },
    'candidates.list': (input) => candidates.list(input.project),
    'hosts.list': () => hosts.list(),
    'hosts.add': (input) => {
      const host = hosts.add(input);
      return hostChanged(host.id, host);
    },
    'hosts.unlockKey': (input) => hosts.unlockKey(input.keyFile, input.passphrase),
    'hosts.import': async (input) => {
      const imported = await hosts.importSshConfig(input.configFile);
      for (const host of imported.added) events.emit('hosts.changed', { hostId: host.id });
      return imported;
    },
    // The Python command and run root are read at each use; a change to how the host is reached drops its connection.
    'hosts.configure': (input) => {
      const host = hosts.configure(input.ref, input);
      return hostChanged(host.id, host);
    },
    'hosts.remove': (input) => {
      const host = hosts.remove(input.ref);
      return hostChanged(host.id, host);
    },
    'hosts.trust': async (input) => {
      const trusted = await hosts.trust(input.ref, input.fingerprint);
      return hostChanged(trusted.host.id, trusted);
    },
    'hosts.probe': async (input) => {
      const probe = await hosts.probe(input.ref);
      // Kept: other windows (and the launch dialog after a reload) read the host's last probe.
      events.emit('hosts.changed', { hostId: hosts.get(input.ref).id });
      return probe;
    },
    'hosts.lastProbes': () => hosts.lastProbes(),
    'recipes.list': () => describeRecipes(),
    'datasets.add': async (input) => {
      const project = projects.get(input.project);
      const added = await datasets.add(project.id, input.name, input.file);
      const fired = added.added
        ? triggers
            .forDataset(added.dataset.id)
            .map((t) =>
              continuous.fire(t, `new version ${added.version.version} of ${added.dataset.name} (sha256 ${added.version.sha256.slice(0, 12)}…, ${added.version.lines} lines)`, added.version.id),
            )
        : [];
      events.emit('projects.changed', { projectId: project.id });
      return { ...added, fired };
    },
    'datasets.list': (input) => datasets.list(projects.get(input.project).id),
    'datasets.watch': (input) => {
      const project = projects.get(input.project);
      const dataset = datasets.watch(project.id, input.name, hosts.get(input.host).id, input.path);
      events.emit('projects.changed', { projectId: project.id });
      return dataset;
    },
    'datasets.versions': (input) => datasets.versions(datasets.find(projects.get(input.project).id, input.dataset).id),
    'triggers.add': (input) => {
      const project = projects.get(input.project);
      const host = hosts.get(input.host);
      const dataset = input.dataset ? datasets.find(project.id, input.dataset) : null;
      const trigger = triggers.add({ projectId: project.id, kind: input.kind, datasetId: dataset?.id ?? null, schedule: input.kind === 'schedule' ? input.schedule! : null, hostId: host.id });
      events.emit('projects.changed', { projectId: project.id });
      return trigger;
    },
    'triggers.list': (input) => triggers.list(input.project ? projects.get(input.project).id : undefined),
    'triggers.fire': (input) => continuous.fire(triggers.get(input.trigger), 'by hand'),
    'triggers.enable': (input) => triggers.setEnabled(input.trigger, input.enabled),
    'triggers.history': (input) => triggers.history(input.project ? projects.get(input.project).id : undefined),
    'triggers.tick': async () => {
      const before = Date.now();
      await continuous.tick(Date.now(), true);
      return triggers.history().filter((f) => f.updatedAt >= before);
    },
    'sweeps.create': (input) => createSweep(sweepDeps, input.text, input.fileName),
    'sweeps.start': (input) => startSweep(sweepDeps, input.sweep),
    'sweeps.pause': (input) => controlSweep(sweepDeps, input.sweep, 'pause'),
    'sweeps.resume': (input) => controlSweep(sweepDeps, input.sweep, 'resume'),
    'sweeps.stop': (input) => controlSweep(sweepDeps, input.sweep, 'stop'),
    'sweeps.sync': (input) => syncSweep(sweepDeps, input.sweep),
    'sweeps.get': (input) => sweepDeps.sweeps.get(input.sweep),
    'sweeps.list': (input) => sweepDeps.sweeps.list(input.project ? projects.get(input.project).id : undefined),
    'sweeps.decisions': (input) => sweepDeps.sweeps.decisions(input.sweep),
    'sweeps.saveBest': (input) => saveBest(sweepDeps, input.sweep),
    'runs.launch': (input) => launchRun(launchDeps, input),
    'runs.launchArray': (input) => launchArray(launchDeps, input),
    'runs.list': (input) => runs.list(input.project ? projects.get(input.project).id : undefined),
    'runs.get': (input) => runs.get(input.id),
    'runs.sync': (input) => syncRun(syncDeps, runs.requireId(input.id)),
    'runs.cancel': (input) => cancelRun(syncDeps, input.id),
    'runs.logs': (input) => runs.logs(runs.requireId(input.id), input.afterLine ?? 0, input.limit ?? 10_000),
    'runs.metrics': (input) => runs.metrics(runs.requireId(input.id), input.name),
    'runs.table': (input) =>
      runsTable.query({ projectId: input.project ? projects.get(input.project).id : undefined, filter: input.filter, ids: input.ids, sort: input.sort, offset: input.offset, limit: input.limit }),
    'runs.annotate': (input) => {
      const set = runsTable.annotate(runs.requireId(input.id), input);
      events.emit('runs.changed', { runId: set.id });
      return set;
    },
    'runs.checkpoints': (input) => {
      const run = runs.get(input.id);
      const { objective } = projects.get(run.projectId);
      return { objective, ...runCheckpoints(db, windows, run.id, objective) };
    },
    'runs.markers': (input) => {
      const id = runs.requireId(input.id);
      return markerPlaces.place(id, logSearch.markers(id));
    },
    'logs.search': (input) =>
      logSearch.search({
        query: input.query,
        runId: input.run ? runs.requireId(input.run) : undefined,
        projectId: input.project ? projects.get(input.project).id : undefined,
        limit: input.limit ?? 500,
      }),
    'metrics.series': (input) => metrics.series(runs.requireId(input.id)),
    'metrics.window': (input) => metrics.window(runs.requireId(input.runId), input),
    'projects.setProduction': (input) => {
      if (input.model === null) return changed(projects.setProduction(input.project, null));
      const ref = parseModelRef(input.model);
      const run = runs.get(ref.runId);
      const project = projects.get(input.project);
      if (run.projectId !== project.id || run.kind !== 'train' || run.status !== 'SUCCEEDED')
        throw new EngineError('VALIDATION_FAILED', `Run ${run.id} cannot be ${project.name}'s production model: it must be a training run of this project that SUCCEEDED.`);
      return changed(projects.setProduction(project.id, ref));
    },
    'suites.add': (input) => {
      const added = suites.add(input.project, input.fileName, input.text);
      events.emit('projects.changed', { projectId: added.suite.projectId });
      return added;
    },
    'suites.list': (input) => suites.list(input.project),
    'suites.get': (input) => {
      const suite = suites.resolve(input.project, input.suite);
      return { suite, spec: suites.spec(suite.id), ...(({ fileName, text }) => ({ fileName, text }))(suites.source(suite.id)) };
    },
    'tests.start': (input) => startTest(testDeps, input),
    'tests.list': (input) => tests.list(input.project ? projects.get(input.project).id : undefined),
    'tests.get': (input) => tests.summary(input.id),
    'tests.report': (input) => buildReport(reportDeps, input.id),
    'tests.reportHtml': (input) => {
      const files = renderReportFiles(buildReport(reportDeps, input.id));
      return { html: files.html, sha256: files.htmlSha256 };
    },
    'tests.waive': (input) => {
      tests.waive(input.id, input.caseId, input.reason);
      return testChanged(tests.summary(input.id).id);
    },
    'tests.resume': (input) => resumeTest(testDeps, input.id),
    'tests.cancel': async (input) => {
      const id = tests.summary(input.id).id;
      await cancelRun(syncDeps, id);
      return tests.summary(id);
    },
    'tests.policy': (input) => tests.projectPolicy(projects.get(input.project).id),
    'tests.setPolicy': (input) => {
      const project = projects.get(input.project);
      const policy = tests.setProjectPolicy(project.id, input.policy);
      events.emit('projects.changed', { projectId: project.id });
      return policy;
    },
    'identity.get': () => ({ identity: identity.get() }),
    'identity.set': (input) => ({ identity: identity.set(input.identity) }),
    'approvals.rules': (input) => rules.get(projects.get(input.project).id),
    'approvals.setRules': (input) => {
      const project = projects.get(input.project);
      const r = rules.set(project.id, input);
      events.emit('projects.changed', { projectId: project.id });
      return r;
    },
    'reviews.export': async (input) => {
      const summary = tests.summary(input.testRun);
      const out = input.out ?? path.join(dataDir, 'exports', `review-${summary.id}.zip`);
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      return exportBundle(bundleDeps, bundles, summary.id, out);
    },
    // A bundle belongs to a project: the reviews page lists bundles again when a project changed.
    'reviews.importFile': async (input) => {
      const bundle = await importBundle(bundles, input.file);
      events.emit('projects.changed', { projectId: bundle.projectId });
      return bundle;
    },
    'reviews.upload': async (input) => {
      const { uploadId, file } = uploads.add(input.uploadId, input.dataBase64, input.done, input.fileName);
      if (!file) return { uploadId, bundle: null };
      try {
        const bundle = await importBundle(bundles, file);
        events.emit('projects.changed', { projectId: bundle.projectId });
        return { uploadId, bundle };
      } finally {
        uploads.remove(file);
      }
    },
    'reviews.list': () => bundles.list(),
    'reviews.get': (input) => {
      const bundle = bundles.get(input.bundle);
      return { bundle, manifest: bundles.manifest(bundle.id), report: bundles.report(bundle.id), allowedSigners: bundles.allowedSigners(bundle.id) };
    },
    'reviews.decide': async (input) => {
      const r = await decide({ db, bundles, identity, passphrases, agentSocket }, { ...input, keyFile: input.keyFile?.replace(/^~(?=\/)/, os.homedir()) });
      events.emit('projects.changed', { projectId: null });
      return r;
    },
    'reviews.decisionFile': (input) => signedDecisionFile(db, input.digest),
    'signing.keys': async () => {
      if (!agentSocket) return [];
      return (await agentSigners(agentSocket)).map((k) => ({ source: 'agent' as const, fingerprint: k.fingerprint, keyType: k.keyType, comment: k.comment ?? '' }));
    },
    'approvals.import': (input) => {
      const a = approvals.import(input.text);
      events.emit('projects.changed', { projectId: a.projectId });
      return a;
    },
    'approvals.list': (input) => approvals.list(input.project),
    'approvals.verify': (input) => {
      if (!input.project && !input.id) throw new EngineError('VALIDATION_FAILED', 'Give the project (--project P), or the approval to verify.');
      return approvals.verify(input.project ?? approvals.get(input.id!).projectId, input.id, input.chain ?? false);
    },
    'approvals.get': (input) => approvals.get(input.id),
    'approvals.export': (input) => approvals.export(input.id, input.dir),
    'approvals.status': (input) => approvals.status(input.testRun),
    'registries.list': () => registries.list(),
    'registries.add': (input) => {
      const registry = registries.add(input);
      return registryChanged(registry.id, registry);
    },
    'registries.remove': (input) => {
      const registry = registries.remove(input.name);
      return registryChanged(registry.id, registry);
    },
    'registries.login': async (input) => {
      const target = registries.get(input.name);
      if (target.kind !== 'oci') throw new EngineError('VALIDATION_FAILED', `${target.name} is an SSH registry: it logs in as its host does (keys and agent), with no password.`);
      if (input.persist) await storeDockerCredentials(new URL(target.baseUrl!).host, input.username, input.password);
      return registryChanged(target.id, registries.login(target.id, input.username, input.password));
    },
    'registries.push': (input) => withBackend(input.to, async (backend, target) => registryChanged(target.id, await pushApproval(pushDeps, target, backend, input))),
    'registries.pushes': (input) => listPushes(db, input.registry),
    'registries.models': (input) => withBackend(input.name, (backend) => backend.list()),
    'registries.verify': (input) =>
      withBackend(input.registry, async (backend) => {
        const { stored, ...result } = await verifyInRegistry(registryDeps, backend, input.ref, {
          ...(input.allowedSigners ? { allowedSigners: input.allowedSigners } : {}),
          deep: input.deep ?? false,
        });
        if (input.approvalOut && stored.approval) {
          fs.mkdirSync(input.approvalOut, { recursive: true });
          fs.writeFileSync(path.join(input.approvalOut, 'approval.json'), stored.approval.payload);
          fs.writeFileSync(path.join(input.approvalOut, 'approval.json.sig'), stored.approval.signature);
        }
        return { ...result, report: stored.report };
      }),
    'registries.alias': (input) => withBackend(input.registry, async (backend, target) => registryChanged(target.id, await moveAlias(registryDeps, backend, input))),
    'registries.pull': (input) => withBackend(input.registry, (backend) => pullModel(registryDeps, backend, input.ref, input.to, input.allowedSigners)),
    'demo.seed': (input) => {
      const seeded = seedDemo(db, projects, hosts, input);
      events.emit('projects.changed', { projectId: seeded.projectId });
      events.emit('runs.changed', { runId: null });
      return seeded;
    },
  };
  const dispatch = createDispatch(handlers, { checkOutputs: options.checkOutputs });

  // PRAGMA data_version changes only when another connection commits: a cheap way to notice the CLI.
  // It says that something changed, not what: every kind of record is said to have changed. The
  // table below is typed by CHANGE_EVENT_NAMES, so a new kind of change event cannot be left out.
  const changedElsewhere: { [E in ChangeEventName]: EventPayload<E> } = {
    'projects.changed': { projectId: null },
    'runs.changed': { runId: null },
    'hosts.changed': { hostId: null },
    'registries.changed': { registryId: null },
    'sweeps.changed': { sweepId: null },
  };
  let lastDataVersion = db.pragma('data_version', { simple: true }) as number;
  let knownHostIds = new Set(hosts.list().map((h) => h.id));
  const pollMs = options.externalChangePollMs ?? 0;
  const poll =
    pollMs > 0
      ? setInterval(() => {
          try {
            const now = db.pragma('data_version', { simple: true }) as number;
            if (now === lastDataVersion) return;
            lastDataVersion = now;
            // A host removed elsewhere must not keep its pooled SSH connection open here.
            const hostIds = new Set(hosts.list().map((h) => h.id));
            for (const id of knownHostIds) if (!hostIds.has(id)) hosts.drop(id);
            knownHostIds = hostIds;
            for (const event of CHANGE_EVENT_NAMES) events.emit(event, changedElsewhere[event] as never);
          } catch {
            // The database is closing; the next tick will not come.
          }
        }, pollMs)
      : undefined;
  poll?.unref();

  watcher.start();
  sweepWatcher.start();
  appSweepDriver.start();
  let closed = false;
  return {
    dataDir,
    databasePath: opened.path,
    db,
    events,
    dispatch,
    call: directCaller(dispatch),
    hosts,
    liveStats: () => ({
      fullReads: watcher.stats.fullReads,
      framesStored: watcher.channels.stats.framesStored,
      channelsOpened: watcher.channels.stats.opened,
      resyncs: watcher.channels.stats.resyncs,
    }),
    close() {
      if (closed) return;
      closed = true;
      watcher.stop();
      sweepWatcher.stop();
      appSweepDriver.stop();
      if (continuousTimer) clearInterval(continuousTimer);
      hosts.close();
      if (poll) clearInterval(poll);
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // Another process may hold the database; the checkpoint can wait for a later close.
      }
      db.close();
    },
  };
}
