// Each project's run count, best objective value and last activity, fetched again when runs or projects change.
import { useEffect, useState } from 'react';
import type { ProjectSummary } from '../../../shared/domain/project';
import { useChanges } from '../../api/use-changes';
import { useApp, useClient } from '../../store/context';

export function useProjectSummaries(): Map<string, ProjectSummary> | null {
  const client = useClient();
  const notifyError = useApp((s) => s.notifyError);
  const runsChanged = useChanges('runs.changed');
  const projectsChanged = useChanges('projects.changed');
  const [summaries, setSummaries] = useState<Map<string, ProjectSummary> | null>(null);
  useEffect(() => {
    let stale = false;
    client.call('projects.summaries', {}).then(
      (list) => !stale && setSummaries(new Map(list.map((s) => [s.projectId, s]))),
      (err: unknown) => !stale && notifyError(err),
    );
    return () => {
      stale = true;
    };
  }, [client, notifyError, runsChanged, projectsChanged]);
  return summaries;
}

/** A metric value in a cell: four significant digits, as the candidates list writes them. */
export const formatValue = (v: number) => (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4))));
