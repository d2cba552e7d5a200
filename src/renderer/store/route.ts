// Where the user is: a small hash router (#/projects, #/projects/ID, #/hosts ...), so reloads and links keep the page.
export type Area = 'projects' | 'hosts' | 'runs' | 'compare' | 'reviews' | 'registry';
export type Route =
  | { area: 'projects'; projectId?: string }
  | { area: 'runs'; runId?: string }
  | { area: 'compare'; runIds?: string[] }
  | { area: 'reviews'; testId?: string; bundleId?: string }
  | { area: Exclude<Area, 'projects' | 'runs' | 'compare' | 'reviews'> };

export const AREAS: readonly Area[] = ['projects', 'hosts', 'runs', 'compare', 'reviews', 'registry'];

export function parseHash(hash: string): Route {
  const [area, id, sub] = hash.replace(/^#\/?/, '').split('/');
  if (area === 'reviews' && id === 'bundle' && sub) return { area: 'reviews', bundleId: decodeURIComponent(sub) };
  if (area === 'projects' && id) return { area: 'projects', projectId: decodeURIComponent(id) };
  if (area === 'runs' && id) return { area: 'runs', runId: decodeURIComponent(id) };
  if (area === 'reviews' && id) return { area: 'reviews', testId: decodeURIComponent(id) };
  if (area === 'compare' && id) return { area: 'compare', runIds: decodeURIComponent(id).split(',').filter(Boolean) };
  if (area && (AREAS as readonly string[]).includes(area)) return { area } as Route;
  return { area: 'projects' };
}

export function routeToHash(route: Route): string {
  if (route.area === 'projects' && route.projectId) return `#/projects/${encodeURIComponent(route.projectId)}`;
  if (route.area === 'runs' && route.runId) return `#/runs/${encodeURIComponent(route.runId)}`;
  if (route.area === 'reviews' && route.bundleId) return `#/reviews/bundle/${encodeURIComponent(route.bundleId)}`;
  if (route.area === 'reviews' && route.testId) return `#/reviews/${encodeURIComponent(route.testId)}`;
  if (route.area === 'compare' && route.runIds?.length) return `#/compare/${route.runIds.join(',')}`;
  return `#/${route.area}`;
}
