import type { MethodInput } from '../../shared/contract';
import type { Project } from '../../shared/domain/project';
import type { Client } from '../api/client';
import type { Slice } from './slice';

export interface ProjectsSlice {
  projects: Project[];
  projectsLoaded: boolean;
  showArchived: boolean;
  setShowArchived(show: boolean): void;
  loadProjects(): Promise<void>;
  /** These throw ClientError so a form can show the message beside its field. */
  createProject(input: MethodInput<'projects.create'>): Promise<Project>;
  renameProject(id: string, name: string): Promise<Project>;
  describeProject(id: string, change: { description?: string; baseModel?: string }): Promise<Project>;
  setProjectArchived(id: string, archived: boolean): Promise<Project>;
  setProjectObjective(id: string, objective: Project['objective']): Promise<Project>;
}

export const createProjectsSlice =
  (client: Client): Slice<ProjectsSlice> =>
  (set, get) => {
    const upsert = (project: Project) => {
      const others = get().projects.filter((p) => p.id !== project.id);
      set({ projects: [project, ...others].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1)) });
      return project;
    };
    return {
      projects: [],
      projectsLoaded: false,
      showArchived: false,
      // Archived projects are loaded with the rest; showing them is a view choice, not a reload.
      setShowArchived: (show) => set({ showArchived: show }),
      async loadProjects() {
        try {
          const projects = await client.call('projects.list', { includeArchived: true });
          set({ projects, projectsLoaded: true });
        } catch (err) {
          set({ projectsLoaded: true });
          get().notifyError(err);
        }
      },
      createProject: async (input) => upsert(await client.call('projects.create', input)),
      renameProject: async (id, name) => upsert(await client.call('projects.rename', { ref: id, name })),
      describeProject: async (id, change) => upsert(await client.call('projects.describe', { ref: id, ...change })),
      setProjectArchived: async (id, archived) => upsert(await client.call('projects.archive', { ref: id, archived })),
      setProjectObjective: async (id, objective) => upsert(await client.call('projects.setObjective', { ref: id, ...objective })),
    };
  };
