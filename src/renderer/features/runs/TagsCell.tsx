// Tags edited in place: click to edit, comma-separated, Enter saves, Escape cancels.
import { useState } from 'react';
import type { TableRowOut } from '../../../shared/domain/runs-table';
import { useApp, useClient } from '../../store/context';

export function TagsCell({ run }: { run: TableRowOut }) {
  const client = useClient();
  const notifyError = useApp((s) => s.notifyError);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const save = async () => {
    try {
      await client.call('runs.annotate', { id: run.id, tags: text.split(',').map((t) => t.trim()).filter(Boolean) });
      setEditing(false);
    } catch (err) {
      notifyError(err);
    }
  };
  if (editing) {
    return (
      <input
        type="text"
        className="tags-input"
        aria-label={`Tags of ${run.id}`}
        value={text}
        autoFocus
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void save();
          if (e.key === 'Escape') setEditing(false);
        }}
        onBlur={() => setEditing(false)}
      />
    );
  }
  return (
    <button
      type="button"
      className="tags-button"
      aria-label={`Edit tags of ${run.id}`}
      onClick={() => {
        setText(run.tags.join(', '));
        setEditing(true);
      }}
    >
      {run.tags.length ? run.tags.map((t) => <span key={t} className="badge">{t}</span>) : <span className="muted">+ tag</span>}
    </button>
  );
}
