// The spine: every RPC method with its input and output schema, and every event with its payload.
// Transports (Electron IPC, WebSocket, direct calls) all go through one dispatcher built from this table.
import { z } from 'zod';
import {
  ArchiveProjectInput,
  CreateProjectInput,
  DescribeProjectInput,
  GetProjectInput,
  ListProjectsInput,
  Project,
  RenameProjectInput,
} from './domain/project';
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
} satisfies Record<MethodName, { input: z.ZodType; output: z.ZodType }>;

export const events = {
  /** A project changed; projectId is null when the change came from another process (e.g. the CLI). */
  'projects.changed': z.object({ projectId: z.string().nullable() }),
} satisfies Record<EventName, z.ZodType>;

export type Methods = typeof methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export type { EventName, MethodName } from './names';
export { EVENT_NAMES, METHOD_NAMES } from './names';
