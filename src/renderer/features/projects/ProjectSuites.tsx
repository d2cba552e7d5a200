// A project's test suites (name@version, cases by kind, digest) and adding one from a file; a bad
// file's error names its line and case.
import { useEffect, useState } from 'react';
import type { Suite } from '../../../shared/domain/testing';
import { FilePickButton } from '../../components/FilePickButton';
import { formatShortTime } from '../../format';
import { useChanges } from '../../api/use-changes';
import { useApp, useClient } from '../../store/context';

export function ProjectSuites({ projectId }: { projectId: string }) {
  const client = useClient();
  const notify = useApp((s) => s.notify);
  const [suites, setSuites] = useState<Suite[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ownTick, setTick] = useState(0);
  // A suite added from the CLI changes the project: list the suites again.
  const tick = ownTick + useChanges('projects.changed', (e) => e.projectId === null || e.projectId === projectId);
  useEffect(() => {
    client.call('suites.list', { project: projectId }).then(setSuites, (err: unknown) => {
      setSuites([]);
      setError(`Could not list the suites: ${err instanceof Error ? err.message : String(err)}`);
    });
  }, [client, projectId, tick]);

  const add = async (file: File) => {
    setError(null);
    try {
      const r = await client.call('suites.add', { project: projectId, fileName: file.name, text: await file.text() });
      notify('info', r.added ? `Added ${r.suite.name}@${r.suite.version} (${r.suite.cases} cases).` : `${r.suite.name}@${r.suite.version} is already there with the same cases.`);
      setTick((t) => t + 1);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <section className="card wide" aria-labelledby="suites-heading">
      <h2 id="suites-heading">Test suites</h2>
      <div className="toolbar">
        <FilePickButton label="Add a suite (YAML or JSON)…" accept=".yaml,.yml,.json" ariaLabel="Suite file" onFile={(file) => void add(file)} />
      </div>
      {error && (
        <p className="form-error suite-errors" role="alert">
          {error}
        </p>
      )}
      {suites === null ? (
        <p className="muted">Loading…</p>
      ) : suites.length === 0 ? (
        <p className="muted">No suites yet. Add a YAML or JSON file of cases (exact, contains, regex, json, choice, perplexity, perf, judge) to test candidates against production.</p>
      ) : (
        <table className="data-table" aria-label="Test suites">
          <thead>
            <tr>
              <th>Suite</th>
              <th>Cases</th>
              <th>Kinds</th>
              <th>Digest</th>
              <th>Added</th>
            </tr>
          </thead>
          <tbody>
            {suites.map((s) => (
              <tr key={s.id}>
                <td className="mono">
                  {s.name}@{s.version}
                </td>
                <td>{s.cases}</td>
                <td className="clip">
                  {Object.entries(s.kinds)
                    .map(([k, n]) => `${n} ${k}`)
                    .join(', ')}
                </td>
                <td className="mono" title={s.digest}>
                  {s.digest.slice(7, 19)}…
                </td>
                <td className="nowrap">{formatShortTime(s.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
