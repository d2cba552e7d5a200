// Runs of every project: status at a glance, launch a new one, open one to watch it.
// The table's view (project, filter, sort, columns, selection) lives in the address (#/runs?...): a link
// reproduces it, back and forward return to it, and coming back from a run (or the sidebar) shows it again.
import { useCallback, useEffect, useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { useApp } from '../../store/context';
import { routeToHash, type RunsView } from '../../store/route';
import { LaunchDialog } from './LaunchDialog';
import { RunDetailPage } from './RunDetailPage';
import { RunsTable } from './RunsTable';

/** The view without its empty parts, so the address says only what differs from the default. */
function tidy(view: RunsView): RunsView {
  const out: RunsView = {};
  if (view.project) out.project = view.project;
  if (view.filter) out.filter = view.filter;
  if (view.sort) out.sort = view.sort;
  if (view.columns) out.columns = view.columns;
  if (view.selected?.length) out.selected = view.selected;
  return out;
}

/** The runs table's view: the address's when it has one, else the one last shown (kept in the store). */
function useRunsView(): [RunsView, (change: Partial<RunsView>) => void] {
  const route = useApp((s) => s.route);
  const remembered = useApp((s) => s.runsView);
  const selection = useApp((s) => s.selectedRunIds);
  const remember = useApp((s) => s.rememberRunsView);
  const setSelection = useApp((s) => s.setSelection);
  const syncFromHash = useApp((s) => s.syncFromHash);
  const fromAddress = route.area === 'runs' && !route.runId ? route.view : undefined;
  const view = fromAddress ?? tidy({ ...remembered, selected: selection });

  // Changes to the view replace the address rather than add to history: back goes to the page before, not
  // to each keystroke of the filter. Opening a run or Compare is the step that back undoes.
  const show = useCallback(
    (next: RunsView) => {
      // Kept before the address changes: a view back to the defaults has a bare #/runs, which shows the kept view.
      const { selected, ...rest } = tidy(next);
      remember(rest);
      setSelection(selected ?? []);
      const hash = routeToHash({ area: 'runs', view: tidy(next) });
      if (location.hash !== hash) history.replaceState(null, '', hash);
      syncFromHash(hash);
    },
    [syncFromHash, remember, setSelection],
  );
  // Keep what the address says for the next visit; a bare #/runs (sidebar, back link) shows the kept view.
  useEffect(() => {
    if (fromAddress) {
      const { selected, ...rest } = fromAddress;
      remember(rest);
      setSelection(selected ?? []);
    } else if (Object.keys(view).length) show(view);
  }, [JSON.stringify(fromAddress)]); // eslint-disable-line react-hooks/exhaustive-deps
  const change = useCallback((patch: Partial<RunsView>) => show({ ...view, ...patch }), [show, JSON.stringify(view)]); // eslint-disable-line react-hooks/exhaustive-deps
  return [view, change];
}

export function RunsPage() {
  const route = useApp((s) => s.route);
  // Keyed by the run: another run's page starts afresh (its marks, zoom, jump and log are its own).
  if (route.area === 'runs' && route.runId) return <RunDetailPage key={route.runId} runId={route.runId} />;
  return <RunsList />;
}

function RunsList() {
  const runs = useApp((s) => s.runs);
  const projects = useApp((s) => s.projects);
  const loaded = useApp((s) => s.runsLoaded);
  const navigate = useApp((s) => s.navigate);
  const notify = useApp((s) => s.notify);
  const [launching, setLaunching] = useState(false);
  const [view, changeView] = useRunsView();

  return (
    <>
      <header className="page-header">
        <h1>Runs</h1>
        <div className="toolbar">
          <select
            aria-label="Project"
            value={view.project ?? ''}
            // Another project's runs: the sort, columns and selection made for these do not carry over.
            onChange={(e) => changeView({ project: e.target.value || undefined, sort: undefined, columns: undefined, selected: undefined })}
            className="project-select"
          >
            <option value="">All projects</option>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <button type="button" className="primary" onClick={() => setLaunching(true)} disabled={projects.length === 0} title={projects.length === 0 ? 'Create a project first' : undefined}>
            Launch run
          </button>
        </div>
      </header>
      {!loaded ? (
        <p className="muted" role="status">
          Loading runs…
        </p>
      ) : runs.length === 0 ? (
        <EmptyState title="No runs yet">
          <p>
            {projects.length === 0
              ? 'Create a project first; then launch a run of a recipe on a host.'
              : 'Launch a run of a recipe on this machine or an SSH host. The demo recipes fine-tune a tiny model in seconds on a CPU.'}
          </p>
        </EmptyState>
      ) : (
        <RunsTable view={view} onViewChange={changeView} />
      )}
      {launching && (
        <LaunchDialog
          onClose={() => setLaunching(false)}
          onLaunched={(ids) => {
            setLaunching(false);
            // A job array's runs are watched from the list; one run opens its page.
            if (ids.length === 1) navigate({ area: 'runs', runId: ids[0]! });
            else notify('info', `Submitted ${ids.length} runs as one job array.`);
          }}
        />
      )}
    </>
  );
}
