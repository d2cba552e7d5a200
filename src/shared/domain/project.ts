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

export const Project = z.object({
  id: Ulid,
  name: z.string(),
  description: z.string(),
  baseModel: z.string(),
  archived: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type Project = z.infer<typeof Project>;

/** A project named by id or by name, as users type it on the CLI. */
export const ProjectRef = z.string().trim().min(1, 'Give a project id or name.').max(PROJECT_NAME_MAX * 2);

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
