// A project: a base model, and (in later issues) its datasets, recipes, hosts and runs.
import { z } from 'zod';
import { Ulid } from '../ids';

export const PROJECT_NAME_MAX = 100;
export const DESCRIPTION_MAX = 10_000;
export const BASE_MODEL_MAX = 500;

/** Control characters would make names unreadable in tables and terminals. */
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

export const ProjectName = z
  .string()
  .transform((s) => s.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'Project name cannot be empty.')
      .max(PROJECT_NAME_MAX, `Project name must be at most ${PROJECT_NAME_MAX} characters.`)
      .regex(NO_CONTROL_CHARS, 'Project name cannot contain control characters.'),
  );

export const Description = z
  .string()
  .max(DESCRIPTION_MAX, `Description must be at most ${DESCRIPTION_MAX} characters.`)
  .transform((s) => s.trim());

/** A Hugging Face hub id (org/name) or a path on a host. Free text, checked when a run uses it. */
export const BaseModel = z
  .string()
  .max(BASE_MODEL_MAX, `Base model must be at most ${BASE_MODEL_MAX} characters.`)
  .regex(NO_CONTROL_CHARS, 'Base model cannot contain control characters.')
  .transform((s) => s.trim());

/** Which way is better for a metric; one definition for every place that names a goal. */
export const Goal = z.enum(['minimize', 'maximize']);
export type Goal = z.infer<typeof Goal>;

/** What "best" means for a project's runs: a metric and its goal. */
export const Objective = z.object({ metric: z.string(), goal: Goal });
export type Objective = z.infer<typeof Objective>;

/**
 * The code a run trained with: its local directory, the digest of the files uploaded, and git's commit
 * with whether there were uncommitted changes. Kept with a saved recipe so it trains that code again.
 */
export const CodePin = z.object({ dir: z.string(), digest: z.string(), commit: z.string().nullable(), dirty: z.boolean() });
export type CodePin = z.infer<typeof CodePin>;

export const Project = z.object({
  id: Ulid,
  name: z.string(),
  description: z.string(),
  baseModel: z.string(),
  archived: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  /** What "best" means for this project's runs. */
  objective: Objective,
  /** The recipe saved from a run for reuse (continuous training builds on it). */
  recipe: z.object({ name: z.string(), params: z.record(z.string(), z.unknown()), fromRunId: z.string(), code: CodePin.nullable() }).nullable(),
  /** The model in production (a run and checkpoint): test runs compare candidates against it. */
  production: z.object({ runId: z.string(), checkpoint: z.string().nullable() }).nullable(),
});
export type Project = z.infer<typeof Project>;

/** A project named by id or by name, as users type it on the CLI. */
export const ProjectRef = z
  .string()
  .trim()
  .min(1, 'Give a project id or name.')
  .max(PROJECT_NAME_MAX * 2);

export const CreateProjectInput = z.strictObject({
  name: ProjectName,
  description: Description.optional(),
  baseModel: BaseModel.optional(),
});
export type CreateProjectInput = z.input<typeof CreateProjectInput>;

export const RenameProjectInput = z.strictObject({ ref: ProjectRef, name: ProjectName });
export const DescribeProjectInput = z
  .strictObject({ ref: ProjectRef, description: Description.optional(), baseModel: BaseModel.optional() })
  .refine((v) => v.description !== undefined || v.baseModel !== undefined, {
    message: 'Give a description or a base model to change.',
  });
export const ArchiveProjectInput = z.strictObject({ ref: ProjectRef, archived: z.boolean() });
export const ListProjectsInput = z.strictObject({ includeArchived: z.boolean().optional() });
export const GetProjectInput = z.strictObject({ ref: ProjectRef });

export const SetObjectiveInput = z.strictObject({ ref: ProjectRef, metric: z.string().trim().min(1).max(200), goal: Goal });
export const SetRecipeInput = z.strictObject({ ref: ProjectRef, fromRun: z.string().trim().min(1).max(64) });

/** What the projects list shows of each project's runs: how many, the best objective value, and when last something happened. */
export const ProjectSummary = z.object({
  projectId: z.string(),
  /** Training runs (test runs are counted with their candidates, not here). */
  runs: z.number().int(),
  /** The best value of the objective's metric over the project's runs, and the run that reached it; null before any run logged it. */
  best: z.object({ value: z.number(), runId: z.string() }).nullable(),
  /** The latest of: a run started, a run ended, the project changed. */
  lastActivityAt: z.number(),
});
export type ProjectSummary = z.infer<typeof ProjectSummary>;

export const Candidate = z.object({
  id: z.string(),
  projectId: z.string(),
  runId: z.string(),
  checkpoint: z.string().nullable(),
  reason: z.string(),
  proposedAt: z.number(),
  /** The proposer's identity (see `tunebench whoami`), when it was recorded. */
  proposedBy: z.string().nullable(),
  /** The run's best value of the project's objective when it was listed. */
  objective: z.object({ metric: z.string(), goal: z.string(), best: z.number().nullable(), step: z.number().nullable() }),
});
export type Candidate = z.infer<typeof Candidate>;

export const ProposeCandidateInput = z.strictObject({
  run: z.string().trim().min(1).max(64),
  checkpoint: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\u0000-\u001f]+$/, 'A checkpoint is a path inside the run directory, e.g. checkpoints/step-400.')
    .optional(),
  reason: z.string().trim().min(1, 'Say why this run should go to production.').max(5000),
});
