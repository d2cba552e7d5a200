// Which charts a run page shows: one per logged metric, grouped by the prefix before the first "/"
// (train/, eval/, sys/ ...). Metrics without one are grouped by what they are: eval_* under eval,
// the system stream under sys, the rest under train. A few belong together on one chart: the loss
// with the eval loss, every GPU's utilization (or memory, ...).
import type { SeriesSummary } from '../../../shared/domain/metrics';

export interface PanelSpec {
  /** Stable across runs of a project: the layout the user arranges is keyed on it. */
  id: string;
  group: string;
  title: string;
  names: { name: string; stream: 'metrics' | 'sys' }[];
  /** A running count (tokens) drawn as its rate per second. */
  rate?: boolean;
}

const TITLES: Record<string, string> = { loss: 'Loss', learning_rate: 'Learning rate', grad_norm: 'Grad norm', tokens: 'Tokens/s' };
const GROUP_ORDER = ['train', 'eval', 'sys'];

function groupOf(s: { name: string; stream: string }): string {
  const slash = s.name.indexOf('/');
  if (slash > 0) return s.name.slice(0, slash);
  if (s.stream === 'sys') return 'sys';
  return s.name.startsWith('eval') ? 'eval' : 'train';
}

export function panelsFor(series: SeriesSummary[]): PanelSpec[] {
  const panels = new Map<string, PanelSpec>();
  const add = (id: string, group: string, title: string, name: string, stream: 'metrics' | 'sys', rate?: boolean) => {
    const panel = panels.get(id) ?? { id, group, title, names: [], ...(rate ? { rate } : {}) };
    panel.names.push({ name, stream });
    panels.set(id, panel);
  };
  const names = new Set(series.filter((s) => s.stream !== 'sys').map((s) => s.name));
  for (const s of series) {
    const stream = s.stream === 'sys' ? 'sys' : 'metrics';
    const gpu = stream === 'sys' ? /^gpu\d+\.(.+)$/.exec(s.name) : null;
    if (gpu) {
      const what = gpu[1]!;
      add(`sys:gpu.${what}`, 'sys', what === 'util' ? 'GPU utilization' : `GPU ${what}`, s.name, stream);
    } else if (stream === 'metrics' && s.name === 'eval_loss' && names.has('loss')) {
      add('metrics:loss', 'train', 'Loss', s.name, stream); // the eval loss beside the training loss
    } else {
      add(`${stream}:${s.name}`, groupOf(s), TITLES[s.name] ?? s.name, s.name, stream, stream === 'metrics' && s.name === 'tokens');
    }
  }
  // On the loss chart the training loss comes first (it takes the first colour).
  for (const p of panels.values()) p.names.sort((a, b) => Number(b.name === 'loss') - Number(a.name === 'loss'));
  const rank = (g: string) => (GROUP_ORDER.includes(g) ? GROUP_ORDER.indexOf(g) : GROUP_ORDER.length);
  // Loss first in its group, then by name; groups train, eval, sys, then the others by name.
  return [...panels.values()].sort(
    (a, b) => rank(a.group) - rank(b.group) || a.group.localeCompare(b.group) || Number(b.id === 'metrics:loss') - Number(a.id === 'metrics:loss') || a.title.localeCompare(b.title),
  );
}
