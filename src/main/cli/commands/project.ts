// `tunebench project ...`: create, list, show, rename, describe, archive, unarchive.
import type { Project } from '../../../shared/domain/project';
import type { Command } from '../command';
import { withEngine } from '../with-engine';
import { keyValues, oneLine, table, when } from '../format';
import { usageError, str } from '../args';

function showProject(p: Project): string {
  return keyValues([
    ['id', p.id],
    ['name', p.name],
    ['base model', p.baseModel || '—'],
    ['description', p.description || '—'],
    ['archived', p.archived ? 'yes' : 'no'],
    ['created', when(p.createdAt)],
    ['updated', when(p.updatedAt)],
  ]);
}

export const projectCommands: Command[] = [
  {
    path: ['project', 'create'],
    summary: 'Create a project',
    positionals: [{ name: 'NAME', required: true, help: 'Unique name, 1 to 100 characters' }],
    flags: {
      description: { kind: 'string', value: 'TEXT', help: 'What the project is for' },
      'base-model': { kind: 'string', value: 'MODEL', help: 'A hub id (org/name) or a path on a host' },
    },
    async run(ctx, args) {
      const project = await withEngine(ctx, (call) =>
        call('projects.create', {
          name: args.positionals[0]!,
          description: str(args.flags.description),
          baseModel: str(args.flags['base-model']),
        }),
      );
      ctx.print(project, () => `Created project ${project.name} (${project.id})\n`);
      return 0;
    },
  },
  {
    path: ['project', 'list'],
    summary: 'List projects',
    positionals: [],
    flags: { all: { kind: 'boolean', help: 'Include archived projects' } },
    async run(ctx, args) {
      const projects = await withEngine(ctx, (call) => call('projects.list', { includeArchived: args.flags.all === true }));
      ctx.print(projects, () =>
        projects.length === 0
          ? 'No projects yet. Create one with `tunebench project create NAME`.\n'
          : table(
              ['ID', 'NAME', 'BASE MODEL', 'UPDATED', ...(args.flags.all ? ['ARCHIVED'] : [])],
              projects.map((p) => [p.id, oneLine(p.name, 100), oneLine(p.baseModel, 40) || '—', when(p.updatedAt), ...(args.flags.all ? [p.archived ? 'yes' : ''] : [])]),
            ),
      );
      return 0;
    },
  },
  {
    path: ['project', 'show'],
    summary: 'Show one project',
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: {},
    async run(ctx, args) {
      const project = await withEngine(ctx, (call) => call('projects.get', { ref: args.positionals[0]! }));
      ctx.print(project, () => showProject(project));
      return 0;
    },
  },
  {
    path: ['project', 'rename'],
    summary: 'Rename a project',
    positionals: [
      { name: 'ID|NAME', required: true, help: 'The project' },
      { name: 'NEW_NAME', required: true, help: 'Its new name' },
    ],
    flags: {},
    async run(ctx, args) {
      const project = await withEngine(ctx, (call) => call('projects.rename', { ref: args.positionals[0]!, name: args.positionals[1]! }));
      ctx.print(project, () => `Renamed to ${project.name}\n`);
      return 0;
    },
  },
  {
    path: ['project', 'describe'],
    summary: "Change a project's description or base model",
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: {
      description: { kind: 'string', value: 'TEXT', help: 'New description ("" clears it)' },
      'base-model': { kind: 'string', value: 'MODEL', help: 'New base model' },
    },
    async run(ctx, args) {
      const description = str(args.flags.description);
      const baseModel = str(args.flags['base-model']);
      if (description === undefined && baseModel === undefined) throw usageError('Give --description or --base-model (or both).');
      const project = await withEngine(ctx, (call) => call('projects.describe', { ref: args.positionals[0]!, description, baseModel }));
      ctx.print(project, () => showProject(project));
      return 0;
    },
  },
  ...(['archive', 'unarchive'] as const).map((verb): Command => ({
    path: ['project', verb],
    summary: verb === 'archive' ? 'Archive a project (hidden from lists, kept with all its data)' : 'Bring an archived project back',
    positionals: [{ name: 'ID|NAME', required: true, help: 'The project' }],
    flags: {},
    async run(ctx, args) {
      const project = await withEngine(ctx, (call) => call('projects.archive', { ref: args.positionals[0]!, archived: verb === 'archive' }));
      ctx.print(project, () => `${verb === 'archive' ? 'Archived' : 'Unarchived'} ${project.name}\n`);
      return 0;
    },
  })),
];
