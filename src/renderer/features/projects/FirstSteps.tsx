// The first screen of an empty data directory: load the demo data (12 finished synthetic runs, through
// the engine's `demo seed`), create a first project, or read how Tunebench is used.
import { useState } from 'react';
import { plainMessage } from '../../components/form-errors';
import { useApp, useClient } from '../../store/context';
import { GettingStarted } from './GettingStarted';
import './first-steps.css';

/** What `tunebench demo seed` makes by default: enough runs to compare, small enough to load in a second. */
const DEMO = { runs: 12, points: 2000 } as const;

export function FirstSteps({ onCreate }: { onCreate: () => void }) {
  const client = useClient();
  const navigate = useApp((s) => s.navigate);
  const loadProjects = useApp((s) => s.loadProjects);
  const loadRuns = useApp((s) => s.loadRuns);
  const notify = useApp((s) => s.notify);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [help, setHelp] = useState(false);

  const loadDemo = async () => {
    setLoading(true);
    setError(null);
    try {
      const seeded = await client.call('demo.seed', { ...DEMO });
      await Promise.all([loadProjects(), loadRuns()]);
      notify('info', `Loaded the demo project: ${seeded.runIds.length} finished runs of ${DEMO.points.toLocaleString()} steps.`);
      navigate({ area: 'projects', projectId: seeded.projectId });
    } catch (err) {
      setError(plainMessage(err));
    } finally {
      setLoading(false);
    }
  };

  return (
    <section className="first-steps" aria-labelledby="first-steps-heading">
      <h2 id="first-steps-heading">Welcome to Tunebench</h2>
      <p>This data directory is empty. Look around with demo data first, or start with your own project.</p>
      <div className="first-steps-choices">
        <div className="card">
          <h3>Explore with demo data</h3>
          <p>A project “demo” with {DEMO.runs} finished synthetic runs (loss, eval loss, learning rate; one loss spike each) to open, filter and compare.</p>
          <button type="button" className="primary" onClick={() => void loadDemo()} disabled={loading}>
            {loading ? 'Loading demo data…' : 'Load demo data'}
          </button>
        </div>
        <div className="card">
          <h3>Start your own</h3>
          <p>A project holds a base model and the fine-tuning runs you make from it: their configs, logs, metrics and reviews.</p>
          <button type="button" onClick={onCreate}>
            Create your first project
          </button>
        </div>
      </div>
      {error && (
        <p className="form-error" role="alert">
          Could not load the demo data: {error}
        </p>
      )}
      <p>
        New here?{' '}
        <a
          href="#help"
          onClick={(e) => {
            e.preventDefault();
            setHelp(true);
          }}
        >
          Read how to get started
        </a>{' '}
        (the README’s quick start, in the app).
      </p>
      {help && <GettingStarted onClose={() => setHelp(false)} />}
    </section>
  );
}
