// The testing pipeline's data: suites and their cases, per-case records of both models, the gate
// policy, the gates and verdict, and the versioned report that the HTML file and the app both render.
import { z } from 'zod';

/** The kinds a suite file may use. */
export const SUITE_CASE_KINDS = ['exact', 'contains', 'not-contains', 'regex', 'json', 'choice', 'perplexity', 'perf', 'judge'] as const;
/** ...and `harness`: a sample of an lm-evaluation-harness task, made a case by the runner (joined by document hash). */
export const CASE_KINDS = [...SUITE_CASE_KINDS, 'harness'] as const;
export const CaseKind = z.enum(CASE_KINDS);
export type CaseKind = z.infer<typeof CaseKind>;

/** One case of a suite, normalized (defaults filled in) after the file was checked. */
export const SuiteCase = z.object({
  id: z.string(),
  kind: CaseKind,
  input: z.string(),
  /** exact: the answer; contains/not-contains: one or more strings; regex: the pattern; choice: the right option. */
  expect: z.array(z.string()),
  /** contains / not-contains over several strings: any of them, or all of them. */
  match: z.enum(['any', 'all']),
  ignoreCase: z.boolean(),
  /** regex: extra flags (i, m, s, u). */
  flags: z.string(),
  /** json: a JSON Schema the parsed output must satisfy (null: it only has to parse). */
  schema: z.unknown().nullable(),
  /** choice: the options, ranked by the model's log-likelihood of each after the input. */
  options: z.array(z.string()),
  /** perplexity: pass when the model's perplexity on the text is at most this (null: scored, no pass/fail). */
  maxPerplexity: z.number().nullable(),
  /** perf: repeats of the generation, and optional bars. */
  perf: z.object({ repeats: z.number().int(), minTokensPerSecond: z.number().nullable(), maxLatencyMs: z.number().nullable() }),
  tags: z.array(z.string()),
  critical: z.boolean(),
  weight: z.number(),
  maxNewTokens: z.number().int(),
  stop: z.array(z.string()),
  /** Where the case was written: 1-based line in the suite file (0 when unknown). */
  line: z.number().int(),
});
export type SuiteCase = z.infer<typeof SuiteCase>;

export const HarnessTask = z.object({ task: z.string(), fewShot: z.number().int().nullable(), limit: z.number().int().nullable() });
export type HarnessTask = z.infer<typeof HarnessTask>;

export const SuiteSpec = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  /** A judge command (argv) run on the host for `judge` cases; off unless the suite enables it. */
  judge: z.object({ command: z.array(z.string()), enabled: z.boolean(), timeoutSeconds: z.number() }).nullable(),
  harness: z.object({ tasks: z.array(HarnessTask) }).nullable(),
  cases: z.array(SuiteCase),
});
export type SuiteSpec = z.infer<typeof SuiteSpec>;

export const Suite = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  version: z.string(),
  /** sha256 of the normalized suite (name, version, cases, judge, harness) as canonical JSON. */
  digest: z.string(),
  cases: z.number().int(),
  kinds: z.record(z.string(), z.number().int()),
  fileName: z.string(),
  createdAt: z.number(),
});
export type Suite = z.infer<typeof Suite>;

export const MODEL_ROLES = ['candidate', 'baseline'] as const;
export const ModelRole = z.enum(MODEL_ROLES);
export type ModelRole = z.infer<typeof ModelRole>;

/**
 * One case answered by one model, as the runner wrote it and the engine scored it. `pass` is null
 * where the case has no pass/fail (perplexity without a bar, perf without bars); `score` is in [0, 1]
 * (1/0 for pass/fail kinds; for perplexity the per-token probability exp(-nll/tokens), or with a bar
 * min(1, bar / perplexity)) or null (perf without bars).
 */
export const CaseRecord = z.object({
  model: ModelRole,
  caseId: z.string(),
  output: z.string(),
  pass: z.boolean().nullable(),
  score: z.number().nullable(),
  /** Why it passed or failed, in words: "contains \"hello\"", "perplexity 4.21 > 4.0", "error: ...". */
  detail: z.string(),
  error: z.string().nullable(),
  /** Generated tokens and wall time of the case. */
  tokens: z.number().int(),
  ms: z.number(),
  /** Kind-specific numbers: choice log-likelihoods, perplexity, perf figures. */
  measures: z.record(z.string(), z.number()),
});
export type CaseRecord = z.infer<typeof CaseRecord>;

/** MLflow's MetricThreshold semantics, per metric of the comparison (see gates.ts for the rules). */
export const MetricThreshold = z.object({
  threshold: z.number().nullable(),
  minAbsoluteChange: z.number().nullable(),
  minRelativeChange: z.number().nullable(),
  greaterIsBetter: z.boolean(),
});
export type MetricThreshold = z.infer<typeof MetricThreshold>;

/** The metrics a comparison computes for each model (gates.ts), and so the ones a policy can set bars on. */
export const METRIC_NAMES = ['score', 'pass_rate', 'perplexity', 'tokens_per_second', 'latency_p50_ms', 'latency_p95_ms', 'peak_memory_mb'] as const;

/** The bar a candidate must clear, kept per project so "stricter" is written down. */
export const GatePolicy = z.object({
  /** Non-inferiority margin on the suite score (a mean in [0, 1]): candidate - baseline >= -delta. */
  delta: z.number().min(0).max(1),
  /** Confidence level of the bootstrap interval, and the McNemar test's significance level is 1 - it. */
  confidence: z.number().gt(0.5).lt(1),
  /** Cases with a score needed before the non-inferiority gate can decide anything. */
  minCases: z.number().int().min(1),
  bootstrapResamples: z.number().int().min(100).max(100_000),
  bootstrapSeed: z.number().int(),
  /** Floors and minimum changes by metric name: score, pass_rate, perplexity, tokens_per_second, latency_p95_ms, ... */
  metrics: z.record(z.string(), MetricThreshold).refine((m) => Object.keys(m).every((k) => (METRIC_NAMES as readonly string[]).includes(k)), {
    message: `Metric bars are set on ${METRIC_NAMES.join(', ')}.`,
  }),
  /** Suites (by name) every production decision needs a test run of. */
  requiredSuites: z.array(z.string()),
  /** name@version pinned for production decisions. */
  pinnedSuite: z.string().nullable(),
});
export type GatePolicy = z.infer<typeof GatePolicy>;

export const DEFAULT_POLICY: GatePolicy = {
  delta: 0.02,
  confidence: 0.95,
  minCases: 20,
  bootstrapResamples: 2000,
  bootstrapSeed: 20261129,
  metrics: {},
  requiredSuites: [],
  pinnedSuite: null,
};

export const Waiver = z.object({ caseId: z.string(), reason: z.string(), at: z.number() });
export type Waiver = z.infer<typeof Waiver>;

export const Verdict = z.enum(['PASS', 'FAIL', 'INCONCLUSIVE']);
export type Verdict = z.infer<typeof Verdict>;
export const GateOutcome = z.enum(['pass', 'fail', 'inconclusive', 'skipped']);
export type GateOutcome = z.infer<typeof GateOutcome>;

export const Gate = z.object({
  /** critical-regressions | non-inferiority | mcnemar | metric:<name> */
  id: z.string(),
  title: z.string(),
  outcome: GateOutcome,
  /** One sentence with the numbers that decided it. */
  summary: z.string(),
  numbers: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
});
export type Gate = z.infer<typeof Gate>;

/** One case compared across the two models. */
export const CaseComparison = z.object({
  caseId: z.string(),
  kind: CaseKind,
  tags: z.array(z.string()),
  critical: z.boolean(),
  weight: z.number(),
  input: z.string(),
  expect: z.array(z.string()),
  candidate: CaseRecord.nullable(),
  baseline: CaseRecord.nullable(),
  /** regression: baseline passes, candidate fails; improvement: the reverse; else same/changed/missing. */
  change: z.enum(['regression', 'improvement', 'same', 'score-down', 'score-up', 'missing']),
  /** candidate score - baseline score (null where either is null). */
  scoreDelta: z.number().nullable(),
  waived: z.string().nullable(),
});
export type CaseComparison = z.infer<typeof CaseComparison>;

export const TagSummary = z.object({
  tag: z.string(),
  cases: z.number().int(),
  candidatePassRate: z.number().nullable(),
  baselinePassRate: z.number().nullable(),
  candidateScore: z.number().nullable(),
  baselineScore: z.number().nullable(),
  regressions: z.number().int(),
  improvements: z.number().int(),
});
export type TagSummary = z.infer<typeof TagSummary>;

export const MetricPair = z.object({ name: z.string(), candidate: z.number().nullable(), baseline: z.number().nullable(), greaterIsBetter: z.boolean() });
export type MetricPair = z.infer<typeof MetricPair>;

export const Comparison = z.object({
  verdict: Verdict,
  /** Why, in one sentence. */
  reason: z.string(),
  gates: z.array(Gate),
  /** Regressions first (pass -> fail, then biggest score drops), improvements next, then the rest by id. */
  cases: z.array(CaseComparison),
  tags: z.array(TagSummary),
  metrics: z.array(MetricPair),
  counts: z.object({ cases: z.number().int(), answered: z.number().int(), regressions: z.number().int(), improvements: z.number().int(), waived: z.number().int() }),
});
export type Comparison = z.infer<typeof Comparison>;

export const ModelFile = z.object({ path: z.string(), size: z.number(), sha256: z.string() });
export const ModelInfo = z.object({
  role: ModelRole,
  /** What was evaluated, in words: "run 01J.. outputs/ (demo-lora-torch)", "base meta-llama/...". */
  label: z.string(),
  runId: z.string().nullable(),
  checkpoint: z.string().nullable(),
  loader: z.string(),
  path: z.string(),
  files: z.array(ModelFile),
  /** sha256 over the sorted "sha256  path" lines of the files: the model's root digest. */
  rootDigest: z.string().nullable(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const REPORT_FORMAT = 'tunebench.test-report';
export const REPORT_VERSION = 1;

/** The report: one JSON document, rendered the same way in the app and in the offline HTML file. */
export const TestReport = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(REPORT_VERSION),
  testRun: z.object({
    id: z.string(),
    project: z.object({ id: z.string(), name: z.string(), baseModel: z.string() }),
    status: z.string(),
    createdAt: z.number(),
    endedAt: z.number().nullable(),
    host: z.string(),
    /** Done cases of all expected (cases x 2 models): shows progress while cases arrive. */
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
  }),
  suite: z.object({ name: z.string(), version: z.string(), digest: z.string(), cases: z.number().int() }),
  policy: GatePolicy,
  waivers: z.array(Waiver),
  comparison: Comparison,
  models: z.array(ModelInfo),
  provenance: z.object({
    runnerVersion: z.string(),
    seed: z.number().int(),
    decoding: z.string(),
    environment: z.record(z.string(), z.string()),
    /** The candidate run's lineage: recipe, params, code commit and dirty digest, dataset digest, base model. */
    lineage: z.record(z.string(), z.unknown()),
  }),
});
export type TestReport = z.infer<typeof TestReport>;

/** A test run as lists and pages show it. */
export const TestRunSummary = z.object({
  id: z.string(),
  projectId: z.string(),
  status: z.string(),
  disconnected: z.boolean(),
  lastError: z.string().nullable(),
  hostName: z.string(),
  suite: z.object({ id: z.string(), name: z.string(), version: z.string(), digest: z.string() }),
  candidate: z.object({ runId: z.string(), checkpoint: z.string().nullable() }),
  baseline: z.object({ kind: z.enum(['production', 'base', 'run']), runId: z.string().nullable(), checkpoint: z.string().nullable(), label: z.string() }),
  /** Null until the first case of both models is in; kept up to date as cases arrive. */
  verdict: Verdict.nullable(),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  /** sha256 of the HTML report as last written (the approval signs it). */
  reportSha256: z.string().nullable(),
  createdAt: z.number(),
  endedAt: z.number().nullable(),
});
export type TestRunSummary = z.infer<typeof TestRunSummary>;

const Ref = z.string().trim().min(1).max(200);
export const AddSuiteInput = z.strictObject({ project: Ref, fileName: z.string().trim().min(1).max(500), text: z.string().max(32 * 1024 * 1024) });
export const SuiteRefInput = z.strictObject({ project: Ref, suite: Ref });
export const StartTestInput = z.strictObject({
  project: Ref,
  /** RUN or RUN:CHECKPOINT */
  candidate: Ref,
  /** production (default), base, or RUN[:CHECKPOINT] */
  baseline: Ref.optional(),
  /** NAME or NAME@VERSION (default: the newest version, or the pinned one) */
  suite: Ref,
  host: Ref.optional(),
});
export const TestRefInput = z.strictObject({ id: z.string().trim().min(1).max(64) });
export const WaiveInput = z.strictObject({
  id: z.string().trim().min(1).max(64),
  caseId: z.string().trim().min(1).max(200),
  reason: z.string().trim().min(1, 'Say why this regression is acceptable.').max(5000),
});
export const SetPolicyInput = z.strictObject({ project: Ref, policy: GatePolicy.partial() });
export const SetProductionInput = z.strictObject({ project: Ref, model: Ref.nullable() });
export const ReportHtml = z.object({ html: z.string(), sha256: z.string() });
