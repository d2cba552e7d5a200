// The spine: every RPC method with its input and output schema, and every event with its payload.
// Transports (Electron IPC, WebSocket, direct calls) all go through one dispatcher built from this table.
import { z } from 'zod';
import {
  ArchiveProjectInput,
  Candidate,
  CreateProjectInput,
  DescribeProjectInput,
  GetProjectInput,
  ListProjectsInput,
  Project,
  ProposeCandidateInput,
  RenameProjectInput,
  ProjectSummary,
  SetObjectiveInput,
  SetRecipeInput,
} from './domain/project';
import { AddHostInput, ConfigureHostInput, Host, HostProbe, HostRefInput, LastProbe, TrustHostInput } from './domain/host';
import { LaunchInput, ListRunsInput, LogHit, LogLine, LogSearchInput, MarkerOut, MetricPoint, RunCheckpoints, RecipeInfo, Run, RunLogsInput, RunMetricsInput, RunRefInput } from './domain/run';
import { SeriesSummary, WindowInput, WindowResult } from './domain/metrics';
import { AnnotateRunInput, RunAnnotations, RunsTableInput, RunsTableResult } from './domain/runs-table';
import {
  AddSuiteInput,
  GatePolicy,
  ReportHtml,
  SetPolicyInput,
  SetProductionInput,
  StartTestInput,
  Suite,
  SuiteRefInput,
  SuiteSpec,
  TestRefInput,
  TestReport,
  TestRunSummary,
  WaiveInput,
} from './domain/testing';
import { Approval, ApprovalRules, ApprovalStatus, BundleManifest, DecideInput, DecisionFile, ExportBundleInput, ImportBundleInput, ReviewBundle, SigningKey, VerifyResult } from './domain/review';
import { AddRegistryInput, AliasInput, AliasMove, LoginInput, ModelRefInput, PullInput, Push, PushInput, Registry, RegistryModel, RegistryRef, RegistryVerify } from './domain/registry';
import { CreateSweepInput, Sweep, SweepDecision, SweepRefInput } from './domain/sweep';
import { AddDatasetInput, AddTriggerInput, Dataset, DatasetVersion, Firing, Trigger, WatchDatasetInput } from './domain/continuous';
import type { EventName, MethodName } from './names';

export const AppInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  databasePath: z.string(),
  schemaVersion: z.number().int(),
  transport: z.enum(['ipc', 'websocket', 'direct']),
});
export type AppInfo = z.infer<typeof AppInfo>;

const NoInput = z.strictObject({});

export const methods = {
  'app.info': { input: NoInput, output: AppInfo },
  'projects.list': { input: ListProjectsInput, output: z.array(Project) },
  'projects.get': { input: GetProjectInput, output: Project },
  'projects.create': { input: CreateProjectInput, output: Project },
  'projects.rename': { input: RenameProjectInput, output: Project },
  'projects.describe': { input: DescribeProjectInput, output: Project },
  'projects.archive': { input: ArchiveProjectInput, output: Project },
  'projects.setObjective': { input: SetObjectiveInput, output: Project },
  'projects.setRecipe': { input: SetRecipeInput, output: Project },
  /** Each project's training runs, best objective value and last activity, for the projects list. */
  'projects.summaries': { input: NoInput, output: z.array(ProjectSummary) },
  'candidates.propose': { input: ProposeCandidateInput, output: Candidate },
  'candidates.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200) }), output: z.array(Candidate) },
  'hosts.list': { input: NoInput, output: z.array(Host) },
  'hosts.add': { input: AddHostInput, output: Host },
  'hosts.import': {
    input: z.strictObject({ configFile: z.string().trim().min(1).max(4096).optional() }),
    output: z.object({
      added: z.array(Host),
      skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
      /** How a host will be reached where it is worth saying (a ProxyCommand, the fallback parser). */
      notes: z.array(z.object({ name: z.string(), note: z.string() })),
    }),
  },
  /** The passphrase stays in the engine's memory only; it is never stored or logged. */
  'hosts.unlockKey': {
    input: z.strictObject({ keyFile: z.string().trim().min(1).max(4096), passphrase: z.string().min(1).max(1024) }),
    output: z.object({ keyFile: z.string() }),
  },
  'hosts.configure': { input: ConfigureHostInput, output: Host },
  'hosts.remove': { input: HostRefInput, output: Host },
  'hosts.trust': {
    input: TrustHostInput,
    /** jumpHost: the key trusted was that jump host's; the host's own key is checked next. */
    output: z.object({ host: Host, fingerprint: z.string(), keyType: z.string(), alreadyTrusted: z.boolean(), jumpHost: z.string().optional() }),
  },
  'hosts.probe': { input: HostRefInput, output: HostProbe },
  /** The last probe of each host, kept across restarts (forgotten when its Python or address changes). */
  'hosts.lastProbes': { input: NoInput, output: z.array(LastProbe) },
  'recipes.list': { input: NoInput, output: z.array(RecipeInfo) },
  /** A file as the dataset's next version (kept in the data directory by digest); fires the dataset's triggers. Unchanged bytes add nothing. */
  'datasets.add': { input: AddDatasetInput, output: z.object({ dataset: Dataset, version: DatasetVersion, added: z.boolean(), fired: z.array(Firing) }) },
  'datasets.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200) }), output: z.array(Dataset) },
  /** Watches a file on a host by digest: each new content becomes the next version (looked at while the app is open). */
  'datasets.watch': { input: WatchDatasetInput, output: Dataset },
  'datasets.versions': { input: z.strictObject({ project: z.string().trim().min(1).max(200), dataset: z.string().trim().min(1).max(100) }), output: z.array(DatasetVersion) },
  /** Re-runs the project's saved recipe on new data (a new dataset version, a schedule, or by hand), tests it, proposes it on a PASS. */
  'triggers.add': { input: AddTriggerInput, output: Trigger },
  'triggers.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200).optional() }), output: z.array(Trigger) },
  'triggers.fire': { input: z.strictObject({ trigger: z.string().trim().min(1).max(64) }), output: Firing },
  'triggers.enable': { input: z.strictObject({ trigger: z.string().trim().min(1).max(64), enabled: z.boolean() }), output: Trigger },
  /** Every firing, newest first: why it fired, what it produced (run, test, candidate) or why not. */
  'triggers.history': { input: z.strictObject({ project: z.string().trim().min(1).max(200).optional() }), output: z.array(Firing) },
  /** One pass of the pipeline now (the app makes one every few seconds): due schedules, starts, tests, proposals. */
  'triggers.tick': { input: NoInput, output: z.array(Firing) },
  /** A sweep file (YAML or JSON) checked against its recipe and drawn into trials; nothing runs until sweeps.start. */
  'sweeps.create': { input: CreateSweepInput, output: Sweep },
  /** Places every trial on the host and starts the scheduler beside them: the sweep goes on while the app is closed. */
  'sweeps.start': { input: SweepRefInput, output: Sweep },
  'sweeps.pause': { input: SweepRefInput, output: Sweep },
  'sweeps.resume': { input: SweepRefInput, output: Sweep },
  'sweeps.stop': { input: SweepRefInput, output: Sweep },
  /** Reads the scheduler's new decisions now (and starts it again if it died). */
  'sweeps.sync': { input: SweepRefInput, output: Sweep },
  'sweeps.get': { input: SweepRefInput, output: Sweep },
  'sweeps.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200).optional() }), output: z.array(Sweep) },
  /** Every decision of the scheduler (start, continue, stop, complete, ended, finished) with its numbers and reason. */
  'sweeps.decisions': { input: SweepRefInput, output: z.array(SweepDecision) },
  /** The best trial's recipe and parameters become the project's. */
  'sweeps.saveBest': { input: SweepRefInput, output: Project },
  'runs.launch': { input: LaunchInput, output: Run },
  /** N runs as one SLURM job array (LaunchInput.array): each element is its own run. */
  'runs.launchArray': { input: LaunchInput, output: z.array(Run) },
  'runs.list': { input: ListRunsInput, output: z.array(Run) },
  'runs.get': { input: RunRefInput, output: Run },
  'runs.sync': { input: RunRefInput, output: Run },
  'runs.cancel': { input: RunRefInput, output: Run },
  'runs.logs': { input: RunLogsInput, output: z.array(LogLine) },
  'runs.metrics': { input: RunMetricsInput, output: z.array(MetricPoint) },
  /** The runs table: filter language, sort by any field, parameter or metric summary, a page at a time. */
  'runs.table': { input: RunsTableInput, output: RunsTableResult },
  /** Sets a run's name, tags or notes; answers with what is stored now: tags trimmed, empty ones dropped, duplicates once. */
  'runs.annotate': { input: AnnotateRunInput, output: RunAnnotations },
  /** NaN loss, loss spikes, CUDA OOM, tracebacks, NCCL errors, restarts: found at ingest. */
  'runs.markers': { input: RunRefInput, output: z.array(MarkerOut) },
  /** The run's checkpoints scored by its project's objective, and the best one. */
  'runs.checkpoints': { input: RunRefInput, output: RunCheckpoints },
  /** Full-text search of logs in one run, a project's runs, or all. */
  'logs.search': { input: LogSearchInput, output: z.array(LogHit) },
  /** Every metric series of a run with its summary (min, max and their steps, last), kept at ingest. */
  'metrics.series': { input: RunRefInput, output: z.array(SeriesSummary) },
  /** The one chart query: raw points when the window holds no more than maxBuckets, else exact min/max buckets. */
  'metrics.window': { input: WindowInput, output: WindowResult },
  /** Synthetic finished runs for newcomers, tests and benchmarks, through the real ingest path. */
  'demo.seed': {
    input: z.strictObject({
      project: z.string().trim().min(1).max(100).optional(),
      runs: z.number().int().min(1).max(10_000),
      points: z.number().int().min(1).max(10_000_000),
      seed: z.number().int().optional(),
    }),
    output: z.object({ projectId: z.string(), runIds: z.array(z.string()), spikes: z.array(z.object({ runId: z.string(), step: z.number(), value: z.number() })) }),
  },
  /** The model in production (RUN[:CHECKPOINT]), or null: the default baseline of test runs. */
  'projects.setProduction': { input: SetProductionInput, output: Project },
  /** A suite file's text: checked, stored as name@version with its digest (the same version with other cases is refused). */
  'suites.add': { input: AddSuiteInput, output: z.object({ suite: Suite, added: z.boolean() }) },
  'suites.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200) }), output: z.array(Suite) },
  'suites.get': { input: SuiteRefInput, output: z.object({ suite: Suite, spec: SuiteSpec, fileName: z.string(), text: z.string() }) },
  /** A candidate against a baseline on a suite, evaluated on the host that holds the models' files. */
  'tests.start': { input: StartTestInput, output: TestRunSummary },
  'tests.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200).optional() }), output: z.array(TestRunSummary) },
  'tests.get': { input: TestRefInput, output: TestRunSummary },
  /** The versioned JSON report (gates recomputed from the stored records); live while cases arrive. */
  'tests.report': { input: TestRefInput, output: TestReport },
  /** The self-contained HTML report and its sha256. */
  'tests.reportHtml': { input: TestRefInput, output: ReportHtml },
  /** Waives one case's regression with a reason; the verdict is computed again. */
  'tests.waive': { input: WaiveInput, output: TestRunSummary },
  /** Starts a stopped test run again; finished cases are not repeated. */
  'tests.resume': { input: TestRefInput, output: TestRunSummary },
  'tests.cancel': { input: TestRefInput, output: TestRunSummary },
  'tests.policy': { input: z.strictObject({ project: z.string().trim().min(1).max(200) }), output: GatePolicy },
  'tests.setPolicy': { input: SetPolicyInput, output: GatePolicy },
  /** Who uses this data directory (a principal as in allowed_signers): recorded as the proposer of candidates. */
  'identity.get': { input: NoInput, output: z.object({ identity: z.string() }) },
  'identity.set': { input: z.strictObject({ identity: z.string().max(200) }), output: z.object({ identity: z.string() }) },
  'approvals.rules': { input: z.strictObject({ project: z.string().trim().min(1).max(200) }), output: ApprovalRules },
  /** The project's allowed signers (OpenSSH format), self-approval and the number of approvals needed. */
  'approvals.setRules': {
    input: z.strictObject({
      project: z.string().trim().min(1).max(200),
      allowedSigners: z
        .string()
        .max(1024 * 1024)
        .optional(),
      forbidSelfApproval: z.boolean().optional(),
      requiredApprovals: z.number().int().optional(),
    }),
    output: ApprovalRules,
  },
  /** A review bundle (zip) of a finished test run, written to `out` (default: the data directory's exports/). */
  'reviews.export': {
    input: ExportBundleInput.extend({ out: z.string().max(4096).optional() }),
    output: z.object({ bundle: ReviewBundle, file: z.string(), bytes: z.number(), manifestSha256: z.string() }),
  },
  /** Imports a bundle from a file this machine can read: checked against its manifest before anything is stored. */
  'reviews.importFile': { input: z.strictObject({ file: z.string().trim().min(1).max(4096) }), output: ReviewBundle },
  /** The same from the app's drop target, in parts (a message carries a few MB at most). */
  'reviews.upload': { input: ImportBundleInput, output: z.object({ uploadId: z.string(), bundle: ReviewBundle.nullable() }) },
  'reviews.list': { input: NoInput, output: z.array(ReviewBundle) },
  'reviews.get': {
    input: z.strictObject({ bundle: z.string().trim().min(1).max(200) }),
    output: z.object({ bundle: ReviewBundle, manifest: BundleManifest, report: TestReport, allowedSigners: z.string().nullable() }),
  },
  /** The red button: signs a decision on a bundle with the reviewer's SSH key, in the engine. */
  'reviews.decide': { input: DecideInput, output: z.object({ file: DecisionFile, digest: z.string(), reviewer: z.string() }) },
  'reviews.decisionFile': { input: z.strictObject({ digest: z.string().max(200) }), output: DecisionFile },
  /** The SSH agent's keys, for choosing which signs. */
  'signing.keys': { input: NoInput, output: z.array(SigningKey) },
  /** The requester's side: a decision file, recorded only once every check passes. */
  'approvals.import': { input: z.strictObject({ text: z.string().max(16 * 1024 * 1024) }), output: Approval },
  'approvals.list': { input: z.strictObject({ project: z.string().trim().min(1).max(200) }), output: z.array(Approval) },
  'approvals.verify': { input: z.strictObject({ project: z.string().trim().min(1).max(200).optional(), id: z.string().max(200).optional(), chain: z.boolean().optional() }), output: VerifyResult },
  /** approval.json, approval.json.sig and allowed_signers for `ssh-keygen -Y verify`. */
  'approvals.export': {
    input: z.strictObject({ id: z.string().trim().min(1).max(200), dir: z.string().trim().min(1).max(4096) }),
    output: z.object({ files: z.array(z.string()), reviewer: z.string() }),
  },
  'approvals.get': { input: z.strictObject({ id: z.string().trim().min(1).max(200) }), output: Approval },
  /** Whether a test run's candidate has the approvals and the required suites' PASSes it needs. */
  'approvals.status': { input: z.strictObject({ testRun: z.string().trim().min(1).max(64) }), output: ApprovalStatus },
  'registries.list': { input: NoInput, output: z.array(Registry) },
  'registries.add': { input: AddRegistryInput, output: Registry },
  'registries.remove': { input: RegistryRef, output: Registry },
  /** Credentials kept in this engine's memory only (the CLI also reads docker's config.json and credential helpers). */
  'registries.login': { input: LoginInput, output: Registry },
  /** Pushes an approved model: its files must re-hash to the approval's digests where they are. */
  'registries.push': { input: PushInput, output: Push },
  'registries.pushes': { input: z.strictObject({ registry: z.string().max(100).optional() }), output: z.array(Push) },
  'registries.models': { input: RegistryRef, output: z.array(RegistryModel) },
  /** Manifest, layer digests against the approval, signature, signer rights, chain; --deep hashes the bytes too. */
  'registries.verify': { input: ModelRefInput.extend({ approvalOut: z.string().max(4096).optional() }), output: RegistryVerify.extend({ report: z.string().nullable() }) },
  /** Moves an alias after verifying its target; production needs an approve decision and the model's name typed back. */
  'registries.alias': { input: AliasInput, output: z.object({ move: AliasMove, verify: RegistryVerify }) },
  'registries.pull': { input: PullInput, output: z.object({ verify: RegistryVerify, files: z.array(z.string()) }) },
} satisfies Record<MethodName, { input: z.ZodType; output: z.ZodType }>;

export const events = {
  /** A project changed; projectId is null when the change came from another process (e.g. the CLI). */
  'projects.changed': z.object({ projectId: z.string().nullable() }),
  /** A run's status or counts changed; runId is null when another process changed the data. */
  'runs.changed': z.object({ runId: z.string().nullable() }),
  /** A host was added, changed, trusted or removed; hostId is null when another process changed the data. */
  'hosts.changed': z.object({ hostId: z.string().nullable() }),
  /** A registry was added, removed or logged in to, or a push or alias move ended; registryId is null when another process changed the data. */
  'registries.changed': z.object({ registryId: z.string().nullable() }),
  /** A sweep's decisions or state changed; sweepId is null when another process changed the data. */
  'sweeps.changed': z.object({ sweepId: z.string().nullable() }),
  /** New log lines were stored for a run: one event per sync pass, never one per line. */
  'runs.logAppended': z.object({ runId: z.string(), lines: z.number().int() }),
  /** A push's bytes, rate and time left, a few times a second while it runs. */
  'registry.pushProgress': Push,
} satisfies Record<EventName, z.ZodType>;

export type Methods = typeof methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export type { ChangeEventName, EventName, MethodName } from './names';
export { CHANGE_EVENT_NAMES, EVENT_NAMES, METHOD_NAMES } from './names';
