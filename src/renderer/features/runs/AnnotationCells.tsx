// A run's name, tags and notes edited in place in the runs table: the name beside the id, tags
// comma-separated, notes as one line of text.
import { Fragment } from 'react';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { useClient } from '../../store/context';
import { InlineEdit } from './InlineEdit';
import { TAGS_SHOWN } from './run-columns';

interface CellProps {
  run: TableRowOut;
  /** Called once the engine has stored the change, so the table shows it without waiting for the next refresh. */
  onSaved?: () => void;
}

export function RunNameCell({ run, onSaved, onOpen }: CellProps & { onOpen: () => void }) {
  const client = useClient();
  return (
    <span className="run-name-cell">
      <InlineEdit
        label={`Name of ${run.id}`}
        text={run.name}
        maxLength={100}
        tabIndex={-1}
        onSave={async (text) => {
          await client.call('runs.annotate', { id: run.id, name: text });
          onSaved?.();
        }}
        shown={
          <>
            <a
              href={`#/runs/${run.id}`}
              title={run.id}
              tabIndex={-1}
              className="run-name"
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey) return; // a new tab or window, as for any link
                e.preventDefault();
                onOpen();
              }}
            >
              {run.name}
            </a>
            <span className="run-id mono muted" aria-hidden="true">
              {run.id.slice(-8)}
            </span>
          </>
        }
      >
        <span aria-hidden="true">✎</span>
      </InlineEdit>
    </span>
  );
}

export function TagsCell({ run, onSaved }: CellProps) {
  const client = useClient();
  return (
    <InlineEdit
      label={`Tags of ${run.id}`}
      text={run.tags.join(', ')}
      tabIndex={-1}
      onSave={async (text) => {
        await client.call('runs.annotate', {
          id: run.id,
          tags: text
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        });
        onSaved?.();
      }}
    >
      {run.tags.length ? (
        // At most TAGS_SHOWN chips, each cut short with an ellipsis, then "+k": the column keeps its width
        // however many or long the tags are (all of them are in the title, the button's name and the editor).
        // A space between badges keeps tags apart as words for screen readers (and axe's name check).
        <span className="tag-chips" title={run.tags.join(', ')}>
          {run.tags.slice(0, TAGS_SHOWN).map((t, i) => (
            <Fragment key={t}>
              {i > 0 && ' '}
              <span className="badge tag-chip">{t}</span>
            </Fragment>
          ))}
          {run.tags.length > TAGS_SHOWN && (
            <>
              {' '}
              <span className="badge tag-more">+{run.tags.length - TAGS_SHOWN}</span>
            </>
          )}
        </span>
      ) : (
        <span className="muted">+ tags</span>
      )}
    </InlineEdit>
  );
}

export function NotesCell({ run, onSaved }: CellProps) {
  const client = useClient();
  return (
    <InlineEdit
      label={`Notes of ${run.id}`}
      text={run.notes}
      maxLength={10_000}
      tabIndex={-1}
      onSave={async (text) => {
        await client.call('runs.annotate', { id: run.id, notes: text.trim() });
        onSaved?.();
      }}
    >
      {run.notes ? (
        <span className="notes-text" title={run.notes}>
          {run.notes}
        </span>
      ) : (
        <span className="muted">+ notes</span>
      )}
    </InlineEdit>
  );
}
