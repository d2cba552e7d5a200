// Composition root: open the data directory, build the services, and return the engine every transport uses.
import type Database from 'better-sqlite3';
import type { AppInfo } from '../shared/contract';
import { openDatabase } from './db/open';
import { EventBus } from './events';
import { resolveDataDir } from './paths';
import { ProjectStore } from './projects/project-store';
import { createDispatch, directCaller, type Dispatch, type Handlers } from './rpc/dispatch';
import { APP_VERSION } from './version';

export interface EngineOptions {
  /** Overrides TUNEBENCH_HOME and the OS default. */
  dataDir?: string;
  /** Validate every output against the contract (tests turn this on). */
  checkOutputs?: boolean;
  /** How often to look for changes made by other processes (the CLI beside the app), in ms; 0 turns it off. */
  externalChangePollMs?: number;
}

export interface Engine {
  readonly dataDir: string;
  readonly databasePath: string;
  readonly db: Database.Database;
  readonly events: EventBus;
  readonly dispatch: Dispatch;
  readonly call: ReturnType<typeof directCaller>;
  close(): void;
}

export function openEngine(options: EngineOptions = {}): Engine {
  const dataDir = resolveDataDir(options.dataDir);
  const opened = openDatabase(dataDir);
  const { db } = opened;
  const events = new EventBus();
  const projects = new ProjectStore(db);

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

  const handlers: Handlers = {
    'app.info': (_input, ctx) => info(ctx.transport),
    'projects.list': (input) => projects.list(input.includeArchived ?? false),
    'projects.get': (input) => projects.get(input.ref),
    'projects.create': (input) => changed(projects.create(input)),
    'projects.rename': (input) => changed(projects.rename(input.ref, input.name)),
    'projects.describe': (input) => changed(projects.describe(input.ref, input)),
    'projects.archive': (input) => changed(projects.setArchived(input.ref, input.archived)),
  };
  const dispatch = createDispatch(handlers, { checkOutputs: options.checkOutputs });

  // PRAGMA data_version changes only when another connection commits: a cheap way to notice the CLI.
  let lastDataVersion = db.pragma('data_version', { simple: true }) as number;
  const pollMs = options.externalChangePollMs ?? 0;
  const poll =
    pollMs > 0
      ? setInterval(() => {
          try {
            const now = db.pragma('data_version', { simple: true }) as number;
            if (now !== lastDataVersion) {
              lastDataVersion = now;
              events.emit('projects.changed', { projectId: null });
            }
          } catch {
            // The database is closing; the next tick will not come.
          }
        }, pollMs)
      : undefined;
  poll?.unref();

  let closed = false;
  return {
    dataDir,
    databasePath: opened.path,
    db,
    events,
    dispatch,
    call: directCaller(dispatch),
    close() {
      if (closed) return;
      closed = true;
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
