// Tags and notes edited in place in the runs table: tags comma-separated, notes as one line of text.
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { useClient } from '../../store/context';
import { InlineEdit } from './InlineEdit';

export function TagsCell({ run }: { run: TableRowOut }) {
  const client = useClient();
  return (
    <InlineEdit
      label={`Tags of ${run.id}`}
      text={run.tags.join(', ')}
      onSave={(text) =>
        client.call('runs.annotate', {
          id: run.id,
          tags: text
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        })
      }
    >
      {run.tags.length ? (
        run.tags.map((t) => (
          <span key={t} className="badge">
            {t}
          </span>
        ))
      ) : (
        <span className="muted">+ tag</span>
      )}
    </InlineEdit>
  );
}

export function NotesCell({ run }: { run: TableRowOut }) {
  const client = useClient();
  return (
    <InlineEdit label={`Notes of ${run.id}`} text={run.notes} maxLength={10_000} onSave={(text) => client.call('runs.annotate', { id: run.id, notes: text.trim() })}>
      {run.notes ? (
        <span className="notes-text" title={run.notes}>
          {run.notes}
        </span>
      ) : (
        <span className="muted">+ note</span>
      )}
    </InlineEdit>
  );
}
