// A table cell edited in place: click to edit, Enter saves, Escape or leaving the field cancels.
import { useState, type ReactNode } from 'react';
import { useApp } from '../../store/context';

export function InlineEdit({ label, text, maxLength, onSave, children }: { label: string; text: string; maxLength?: number; onSave: (text: string) => Promise<unknown>; children: ReactNode }) {
  const notifyError = useApp((s) => s.notifyError);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const save = async () => {
    try {
      await onSave(value);
      setEditing(false);
    } catch (err) {
      notifyError(err);
    }
  };
  if (editing) {
    return (
      <input
        type="text"
        className="inline-input"
        aria-label={label}
        value={value}
        maxLength={maxLength}
        autoFocus
        onChange={(e) => setValue(e.target.value)}
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
      className="inline-button"
      aria-label={`Edit ${label.charAt(0).toLowerCase()}${label.slice(1)}`}
      onClick={() => {
        setValue(text);
        setEditing(true);
      }}
    >
      {children}
    </button>
  );
}
