// Where the user is: a small hash router (#/projects, #/projects/ID, #/hosts ...), so reloads and links keep the page.
// The runs table's view (project, filter, sort, columns, selection) rides in the query of #/runs?..., so a
// link reproduces it and back and forward return to it.
export type Area = 'projects' | 'hosts' | 'runs' | 'compare' | 'sweeps' | 'reviews' | 'registry';

/** What the runs table shows; every part is optional (absent: the default). */
export interface RunsView {
  /** A project's id; absent: all projects. */
  project?: string;
  filter?: string;
  sort?: { key: string; dir: 'asc' | 'desc' };
  /** The columns chosen, in order; absent: chosen from the runs shown. */
  columns?: string[];
  selected?: string[];
}

export type Route =
  | { area: 'projects'; projectId?: string }
  | { area: 'runs'; runId?: string; view?: RunsView }
  | { area: 'compare'; runIds?: string[] }
  | { area: 'reviews'; testId?: string; bundleId?: string }
  | { area: 'sweeps'; sweepId?: string }
  | { area: Exclude<Area, 'projects' | 'runs' | 'compare' | 'reviews' | 'sweeps'> };

export const AREAS: readonly Area[] = ['projects', 'hosts', 'runs', 'compare', 'sweeps', 'reviews', 'registry'];

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const [area, id, sub] = (q < 0 ? body : body.slice(0, q)).split('/');
  if (area === 'reviews' && id === 'bundle' && sub) return { area: 'reviews', bundleId: decodeURIComponent(sub) };
  if (area === 'projects' && id) return { area: 'projects', projectId: decodeURIComponent(id) };
  if (area === 'runs' && id) return { area: 'runs', runId: decodeURIComponent(id) };
  if (area === 'runs' && q >= 0) {
    const view = parseRunsView(body.slice(q + 1));
    return Object.keys(view).length ? { area: 'runs', view } : { area: 'runs' };
  }
  if (area === 'reviews' && id) return { area: 'reviews', testId: decodeURIComponent(id) };
  if (area === 'sweeps' && id) return { area: 'sweeps', sweepId: decodeURIComponent(id) };
  if (area === 'compare' && id) return { area: 'compare', runIds: decodeURIComponent(id).split(',').filter(Boolean) };
  if (area && (AREAS as readonly string[]).includes(area)) return { area } as Route;
  return { area: 'projects' };
}

export function routeToHash(route: Route): string {
  if (route.area === 'projects' && route.projectId) return `#/projects/${encodeURIComponent(route.projectId)}`;
  if (route.area === 'runs' && route.runId) return `#/runs/${encodeURIComponent(route.runId)}`;
  if (route.area === 'runs' && route.view) {
    const query = runsViewQuery(route.view);
    return query ? `#/runs?${query}` : '#/runs';
  }
  if (route.area === 'reviews' && route.bundleId) return `#/reviews/bundle/${encodeURIComponent(route.bundleId)}`;
  if (route.area === 'reviews' && route.testId) return `#/reviews/${encodeURIComponent(route.testId)}`;
  if (route.area === 'compare' && route.runIds?.length) return `#/compare/${route.runIds.join(',')}`;
  if (route.area === 'sweeps' && route.sweepId) return `#/sweeps/${encodeURIComponent(route.sweepId)}`;
  return `#/${route.area}`;
}

// The query: project=ID&filter=TEXT&sort=-KEY (descending) or KEY&column=A&column=B&selected=ID,ID.
// Columns repeat rather than join, since a parameter or metric name may hold a comma.
function parseRunsView(query: string): RunsView {
  const p = new URLSearchParams(query);
  const view: RunsView = {};
  const project = p.get('project');
  if (project) view.project = project;
  const filter = p.get('filter');
  if (filter) view.filter = filter;
  const sort = p.get('sort');
  if (sort && sort !== '-') view.sort = sort.startsWith('-') ? { key: sort.slice(1), dir: 'desc' } : { key: sort, dir: 'asc' };
  const columns = p.getAll('column').filter(Boolean);
  if (columns.length) view.columns = columns;
  // "column=" (present, empty): the user chose no columns beyond the run itself.
  else if (p.has('column')) view.columns = [];
  const selected = (p.get('selected') ?? '').split(',').filter(Boolean);
  if (selected.length) view.selected = [...new Set(selected)];
  return view;
}

function runsViewQuery(view: RunsView): string {
  const p = new URLSearchParams();
  if (view.project) p.set('project', view.project);
  if (view.filter) p.set('filter', view.filter);
  if (view.sort) p.set('sort', `${view.sort.dir === 'desc' ? '-' : ''}${view.sort.key}`);
  if (view.columns) {
    if (view.columns.length === 0) p.set('column', '');
    for (const c of view.columns) p.append('column', c);
  }
  if (view.selected?.length) p.set('selected', view.selected.join(','));
  return p.toString();
}
