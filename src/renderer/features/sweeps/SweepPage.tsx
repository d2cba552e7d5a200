// One sweep: its progress, the rungs, each trial's state and why it stopped, the objective over trials,
// the parameters against the objective, how each goes with it, and the best trial (kept as the
// project's recipe with one click). Decisions made while the app was closed are all here too.
import { useEffect, useMemo, useState } from 'react';
import { ScatterChart } from 'echarts/charts';
import { APP_DRIVEN_NOTE, sweepHostNames, type Sweep, type SweepDecision } from '../../../shared/domain/sweep';
import { useChanges } from '../../api/use-changes';
import { echarts, useECharts, writeDrawnState } from '../../charts/useECharts';
import { formatShortTime } from '../../format';
import { useApp, useClient } from '../../store/context';
import { currentTheme, onThemeChange } from '../../theme';
import { fmt, objectiveOption, STATE_WORDS } from './objective-chart';
import { correlations, rungViews, trialViews, type TrialView } from './sweep-analysis';
import './sweeps.css';

echarts.use([ScatterChart]);

function describeMethod(s: Sweep): string {
  const m = s.spec.method;
  return m.name === 'asha' ? `ASHA, eta ${m.eta}, rungs from ${m.min_resource} to ${m.max_resource} ${m.resource === 'step' ? 'steps' : m.resource}` : m.name === 'grid' ? 'grid' : 'random search';
}

function ObjectiveChart({ trials, goal }: { trials: TrialView[]; goal: string }) {
  // The off-scale marks' text follows the theme.
  const [theme, setTheme] = useState(currentTheme());
  useEffect(() => onThemeChange(setTheme), []);
  const option = useMemo(() => objectiveOption(trials, goal, theme), [trials, goal, theme]);
  // What it drew (the y extent, the off-scale marks) goes on the element as data-*, as the run charts do.
  const ref = useECharts(option, { onDrawn: (chart) => writeDrawnState(chart, chart.getDom()) });
  return <div ref={ref} className="sweep-chart" role="img" aria-label="Objective of each trial" />;
}

function ParallelChart({ sweep, trials }: { sweep: Sweep; trials: TrialView[] }) {
  const names = Object.keys(sweep.spec.params).filter((n) => typeof sweep.spec.params[n] === 'object');
  const option = useMemo(() => {
    const scored = trials.filter((t) => t.value !== null);
    const dims = [...names, 'objective'];
    return {
      animation: false,
      backgroundColor: 'transparent',
      parallel: { left: 50, right: 110, top: 30, bottom: 30 },
      tooltip: { trigger: 'item' },
      parallelAxis: dims.map((name, i) => {
        const values = name === 'objective' ? scored.map((t) => t.value!) : scored.map((t) => t.params[name]);
        const numeric = values.every((v) => typeof v === 'number');
        const log = 'loguniform' in ((sweep.spec.params[name] as object | undefined) ?? {});
        return { dim: i, name, type: numeric ? (log ? 'log' : 'value') : 'category', ...(numeric ? { scale: true } : { data: [...new Set(values.map(String))] }) };
      }),
      series: [
        {
          type: 'parallel',
          lineStyle: { width: 2, opacity: 0.6 },
          data: scored.map((t) => ({ name: `trial ${t.index + 1}`, value: [...names.map((n) => t.params[n]), t.value] })),
        },
      ],
    };
  }, [sweep, trials, names]);
  const ref = useECharts(option);
  return <div ref={ref} className="sweep-chart" role="img" aria-label="Parameters against the objective" />;
}

export function SweepPage({ sweepId }: { sweepId: string }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const notify = useApp((s) => s.notify);
  const notifyError = useApp((s) => s.notifyError);
  const [sweep, setSweep] = useState<Sweep | null>(null);
  const [decisions, setDecisions] = useState<SweepDecision[]>([]);
  const [ownTick, setTick] = useState(0);
  const [confirmStop, setConfirmStop] = useState(false);
  // Decisions stored and state changes come as sweeps.changed (null: another process, the CLI, wrote).
  const tick = ownTick + useChanges('sweeps.changed', (e) => e.sweepId === null || e.sweepId === sweepId);
  useEffect(() => {
    let live = true;
    Promise.all([client.call('sweeps.get', { sweep: sweepId }), client.call('sweeps.decisions', { sweep: sweepId })]).then(([s, d]) => {
      if (!live) return;
      setSweep(s);
      setDecisions(d);
    }, notifyError);
    return () => {
      live = false;
    };
  }, [client, sweepId, tick, notifyError]);

  const trials = useMemo(() => (sweep ? trialViews(sweep, decisions) : []), [sweep, decisions]);
  const projects = useApp((s) => s.projects);
  if (!sweep) return <p className="muted">Loading…</p>;
  const project = projects.find((p) => p.id === sweep.projectId);
  const goal = project?.objective.goal ?? 'minimize';
  const rungs = rungViews(sweep, decisions);
  const corr = correlations(sweep, trials);
  const count = (state: TrialView['state']) => trials.filter((t) => t.state === state).length;
  const started = trials.length - count('waiting');
  const done = count('stopped') + count('completed') + count('ended');
  const active = ['RUNNING', 'PAUSED', 'STOPPING'].includes(sweep.status);
  const act = (method: 'sweeps.pause' | 'sweeps.resume' | 'sweeps.stop') => client.call(method, { sweep: sweep.id }).then(() => setTick((t) => t + 1), notifyError);

  return (
    <>
      <header className="page-header">
        <h1>
          Sweep {sweep.name} <span className={`status status-${sweep.status.toLowerCase()}`}>{sweep.status.toLowerCase()}</span>
          {sweep.drivenBy === 'app' && (
            <span className="badge sweep-driver" title="Its trials run on several hosts, so no scheduler runs beside them: this app starts, judges and stops them.">
              {APP_DRIVEN_NOTE}
            </span>
          )}
        </h1>
        <div className="toolbar">
          {sweep.status === 'RUNNING' && (
            <button type="button" onClick={() => act('sweeps.pause')}>
              Pause
            </button>
          )}
          {sweep.status === 'PAUSED' && (
            <button type="button" onClick={() => act('sweeps.resume')}>
              Resume
            </button>
          )}
          {active &&
            sweep.status !== 'STOPPING' &&
            (confirmStop ? (
              <span className="confirm">
                Stop the running trials and start no more?{' '}
                <button type="button" className="red-button" onClick={() => act('sweeps.stop').then(() => setConfirmStop(false))}>
                  Stop sweep
                </button>{' '}
                <button type="button" onClick={() => setConfirmStop(false)}>
                  Keep it running
                </button>
              </span>
            ) : (
              <button type="button" onClick={() => setConfirmStop(true)}>
                Stop…
              </button>
            ))}
          <button
            type="button"
            className="primary"
            disabled={!sweep.best}
            title={sweep.best ? undefined : 'The best trial is named when the sweep ends.'}
            onClick={() =>
              client.call('sweeps.saveBest', { sweep: sweep.id }).then((p) => notify('info', `${p.name} now reuses ${p.recipe!.name} with the parameters of the best trial.`), notifyError)
            }
          >
            Save best as the project&apos;s recipe
          </button>
        </div>
      </header>
      <p className="muted">
        {project?.name ?? 'project'} · {sweep.recipe} · on {sweepHostNames(sweep.spec).join(', ')} · {describeMethod(sweep)} · {sweep.spec.concurrency} at a time · started{' '}
        {formatShortTime(sweep.createdAt)}
      </p>
      {sweep.lastError && <p className="notice-inline">{sweep.lastError}</p>}

      <section className="card wide" aria-label="Progress">
        <h2>Progress</h2>
        <progress max={trials.length} value={done} aria-label={`${done} of ${trials.length} trials done`} />
        <p>
          {started} of {trials.length} trials started · {count('running')} running · {count('stopped')} stopped early · {count('completed') + count('ended')} trained to the end
          {active && (sweep.drivenBy === 'app' ? ` · ${APP_DRIVEN_NOTE}` : ' · the scheduler on the host goes on while the app is closed')}
        </p>
        {sweep.best && (
          <p className="sweep-best">
            Best: trial {trials.find((t) => t.runId === sweep.best!.runId)!.index + 1} with {project?.objective.metric ?? 'objective'} {fmt(sweep.best.value)} ·{' '}
            <span className="mono">
              {Object.entries(sweep.best.params)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' ')}
            </span>
          </p>
        )}
      </section>

      {rungs.length > 0 && (
        <section className="card wide" aria-label="Rungs">
          <h2>Rungs</h2>
          <table className="data-table">
            <thead>
              <tr>
                <th>Rung</th>
                <th>At step</th>
                <th>Reported</th>
                <th>Went on</th>
                <th>Stopped</th>
                <th>Cut-off</th>
              </tr>
            </thead>
            <tbody>
              {rungs.map((r) => (
                <tr key={r.rung}>
                  <td>{r.rung}</td>
                  <td>{r.resource}</td>
                  <td>{r.results}</td>
                  <td>{r.continued}</td>
                  <td>{r.stopped}</td>
                  <td className="mono">{fmt(r.cutoff)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="card wide" aria-label="Trials">
        <h2>Trials</h2>
        <table className="data-table sweep-trials">
          <thead>
            <tr>
              <th>#</th>
              <th>Parameters</th>
              <th>State</th>
              <th>Objective</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {trials.map((t) => (
              <tr key={t.index} className={sweep.best?.runId === t.runId ? 'best-trial' : undefined}>
                <td>
                  {t.runId ? (
                    <a
                      href={`#/runs/${t.runId}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate({ area: 'runs', runId: t.runId! });
                      }}
                    >
                      {t.index + 1}
                    </a>
                  ) : (
                    t.index + 1
                  )}
                </td>
                <td className="mono">
                  {/* What the sweep varies; the fixed parameters are the same for every trial. */}
                  {Object.keys(sweep.spec.params)
                    .filter((k) => typeof sweep.spec.params[k] === 'object')
                    .map((k) => `${k}=${String(t.params[k])}`)
                    .join(' ')}
                </td>
                <td>
                  <span className={`trial-state trial-${t.state}`}>{STATE_WORDS[t.state]}</span>
                </td>
                <td className="mono">{fmt(t.value)}</td>
                <td className="why">{t.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <div className="sweep-charts">
        <section className="card" aria-label="Objective over trials">
          <h2>Objective over trials</h2>
          <ObjectiveChart trials={trials} goal={goal} />
        </section>
        <section className="card" aria-label="Parallel coordinates">
          <h2>Parameters and objective</h2>
          <ParallelChart sweep={sweep} trials={trials} />
        </section>
      </div>

      {corr.length > 0 && (
        <section className="card wide" aria-label="Parameter importance">
          <h2>How each parameter goes with the objective</h2>
          <table className="data-table">
            <thead>
              <tr>
                <th>Parameter</th>
                <th>Rank correlation (Spearman)</th>
                <th>Trials</th>
              </tr>
            </thead>
            <tbody>
              {corr.map((c) => (
                <tr key={c.param}>
                  <td className="mono">{c.param}</td>
                  <td>
                    <span className="corr-bar" style={{ width: `${Math.round(Math.abs(c.rho) * 120)}px` }} data-sign={c.rho < 0 ? 'negative' : 'positive'} /> {c.rho.toFixed(2)}
                  </td>
                  <td>{c.n}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="card wide" aria-label="Decisions">
        <h2>Decisions ({decisions.length})</h2>
        {/* It scrolls: reachable by Tab so the keys scroll it too. */}
        <ol className="sweep-decisions" tabIndex={0} aria-label="Decisions, newest first">
          {decisions
            .slice(-60)
            .reverse()
            .map((d) => (
              <li key={d.seq}>
                <span className="muted">{formatShortTime(d.ts * 1000)}</span> <strong>{d.action}</strong>
                {d.runId && <> trial {(trials.find((t) => t.runId === d.runId)?.index ?? -1) + 1}</>}: {d.reason}
              </li>
            ))}
        </ol>
      </section>
    </>
  );
}
