// The runs table's view in the address: what a link says is what the table shows, and old links still open.
import { describe, expect, it } from 'vitest';
import { parseHash, routeToHash, type Route } from '../../src/renderer/store/route';

describe('the runs view in the address', () => {
  it('round-trips project, filter, sort, columns and selection, whatever characters the filter and column names hold', () => {
    const route: Route = {
      area: 'runs',
      view: {
        project: '01JPROJECT0000000000000000',
        filter: 'status = succeeded and notes ~ "a/b #1 & 50%?" and lr < 3e-4',
        sort: { key: 'eval_loss.min', dir: 'asc' },
        columns: ['params.lr', 'weird,name.max', 'tags'],
        selected: ['01JAAAAAAAAAAAAAAAAAAAAAA1', '01JAAAAAAAAAAAAAAAAAAAAAA2'],
      },
    };
    const hash = routeToHash(route);
    expect(hash.startsWith('#/runs?')).toBe(true);
    expect(hash.slice(1)).not.toMatch(/#/);
    expect(parseHash(hash)).toEqual(route);
    expect(parseHash(routeToHash({ area: 'runs', view: { sort: { key: 'params.rank', dir: 'desc' } } }))).toEqual({ area: 'runs', view: { sort: { key: 'params.rank', dir: 'desc' } } });
    // No columns chosen is a choice too, apart from the default set.
    expect(parseHash(routeToHash({ area: 'runs', view: { columns: [] } }))).toEqual({ area: 'runs', view: { columns: [] } });
  });

  it('keeps every older link working: #/runs, #/runs/ID, #/compare/A,B and the rest', () => {
    expect(parseHash('#/runs')).toEqual({ area: 'runs' });
    expect(parseHash('#/runs/01JAAAAAAAAAAAAAAAAAAAAAA1')).toEqual({ area: 'runs', runId: '01JAAAAAAAAAAAAAAAAAAAAAA1' });
    expect(parseHash('#/runs?')).toEqual({ area: 'runs' });
    expect(parseHash('#/compare/A,B')).toEqual({ area: 'compare', runIds: ['A', 'B'] });
    expect(parseHash('#/projects/P')).toEqual({ area: 'projects', projectId: 'P' });
    expect(routeToHash({ area: 'runs' })).toBe('#/runs');
    expect(routeToHash({ area: 'runs', view: {} })).toBe('#/runs');
    expect(routeToHash({ area: 'runs', runId: 'X' })).toBe('#/runs/X');
  });
});
