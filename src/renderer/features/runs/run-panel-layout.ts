// The run page's chart layout the user arranged (order, hidden panels), remembered per project in
// this browser's storage: every run of the project opens with it.
export interface PanelLayout {
  order: string[];
  hidden: string[];
}

const key = (projectId: string) => `tunebench:run-panels:${projectId}`;
const EMPTY: PanelLayout = { order: [], hidden: [] };

export function loadLayout(projectId: string): PanelLayout {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(key(projectId)) ?? 'null');
    if (!raw || typeof raw !== 'object') return EMPTY;
    const { order, hidden } = raw as Record<string, unknown>;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 500) : []);
    return { order: strings(order), hidden: strings(hidden) };
  } catch {
    return EMPTY; // storage off or a value from elsewhere: start from the default layout
  }
}

export function saveLayout(projectId: string, layout: PanelLayout): void {
  try {
    localStorage.setItem(key(projectId), JSON.stringify(layout));
  } catch {
    // storage full or off: the layout lasts this visit only
  }
}
