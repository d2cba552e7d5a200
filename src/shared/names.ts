// The names of every RPC method and event, without zod, so the sandboxed preload stays tiny.
// contract.ts must define exactly these (the type checker holds it to that).
export const METHOD_NAMES = [
  'app.info',
  'projects.list',
  'projects.get',
  'projects.create',
  'projects.rename',
  'projects.describe',
  'projects.archive',
  'projects.setObjective',
  'projects.setRecipe',
  'candidates.propose',
  'candidates.list',
  'hosts.list',
  'hosts.add',
  'hosts.import',
  'hosts.unlockKey',
  'hosts.configure',
  'hosts.remove',
  'hosts.trust',
  'hosts.probe',
  'recipes.list',
  'runs.launch',
  'runs.launchArray',
  'runs.list',
  'runs.get',
  'runs.sync',
  'runs.cancel',
  'runs.logs',
  'runs.metrics',
  'runs.table',
  'runs.markers',
  'runs.checkpoints',
  'logs.search',
  'runs.annotate',
  'metrics.series',
  'metrics.window',
  'demo.seed',
  'projects.setProduction',
  'suites.add',
  'suites.list',
  'suites.get',
  'tests.start',
  'tests.list',
  'tests.get',
  'tests.report',
  'tests.reportHtml',
  'tests.waive',
  'tests.resume',
  'tests.cancel',
  'tests.policy',
  'tests.setPolicy',
  'identity.get',
  'identity.set',
  'approvals.rules',
  'approvals.setRules',
  'reviews.export',
  'reviews.importFile',
  'reviews.upload',
  'reviews.list',
  'reviews.get',
  'reviews.decide',
  'reviews.decisionFile',
  'signing.keys',
  'approvals.import',
  'approvals.list',
  'approvals.verify',
  'approvals.export',
  'approvals.status',
  'approvals.get',
  'registries.list',
  'registries.add',
  'registries.remove',
  'registries.login',
  'registries.push',
  'registries.pushes',
  'registries.models',
  'registries.verify',
  'registries.alias',
  'registries.pull',
] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/**
 * Events that say "records of this kind changed". The engine sends each of them, with a null id, when
 * another process (the CLI beside the app) committed to the database: it cannot tell what changed.
 */
export const CHANGE_EVENT_NAMES = ['projects.changed', 'runs.changed', 'hosts.changed', 'registries.changed'] as const;
export type ChangeEventName = (typeof CHANGE_EVENT_NAMES)[number];

export const EVENT_NAMES = [...CHANGE_EVENT_NAMES, 'runs.logAppended', 'registry.pushProgress'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Electron IPC channel of one method: one channel per method, never a generic invoke. */
export const ipcChannel = (method: MethodName): string => `tunebench:${method}`;
export const ipcEventChannel = (event: EventName): string => `tunebench:event:${event}`;
