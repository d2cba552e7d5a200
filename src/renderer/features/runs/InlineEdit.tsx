// A table cell edited in place: click to edit, Enter saves, Escape or leaving the field cancels.
// The field is as wide as the text needs (the cell's own width showed two characters of a tag list).
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useApp } from '../../store/context';
import './runs-table.css';

interface Props {
  label: string;
  text: string;
  maxLength?: number;
  onSave: (text: string) => Promise<unknown>;
  /** What the edit button shows: the value itself, or (with `shown`) a small pencil beside it. */
  children: ReactNode;
  /** Shown before the edit button while not editing (a run's name as a link, with a pencil to rename it). */
  shown?: ReactNode;
  /** -1 inside a table row, whose arrow keys reach it: the row is the table's one Tab stop. */
  tabIndex?: number;
}

export function InlineEdit({ label, text, maxLength, onSave, children, shown, tabIndex }: Props) {
  const notifyError = useApp((s) => s.notifyError);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const button = useRef<HTMLButtonElement>(null);
  // After Enter or Escape the keyboard user goes on from the button, not from the top of the page.
  const refocus = useRef(false);
  useEffect(() => {
    if (!editing && refocus.current) {
      refocus.current = false;
      button.current?.focus();
    }
  }, [editing]);
  const stop = (keepFocus: boolean) => {
    refocus.current = keepFocus;
    setEditing(false);
  };
  const save = async () => {
    try {
      await onSave(value);
      stop(true);
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
        size={Math.max(16, Math.min(48, value.length + 2))}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          // The row's keys (arrows, Space, Enter) are the field's own while typing.
          e.stopPropagation();
          if (e.key === 'Enter') void save();
          if (e.key === 'Escape') stop(true);
        }}
        onBlur={() => stop(false)}
      />
    );
  }
  return (
    <>
      {shown}
      <button
        ref={button}
        type="button"
        className={shown ? 'inline-button inline-pencil' : 'inline-button'}
        // The value shown is part of the name (axe: label-content-name-mismatch), after what the button does.
        aria-label={`Edit ${label.charAt(0).toLowerCase()}${label.slice(1)}${!shown && text ? `: ${text}` : ''}`}
        title={shown ? `Edit ${label.charAt(0).toLowerCase()}${label.slice(1)}` : undefined}
        tabIndex={tabIndex}
        onClick={() => {
          setValue(text);
          setEditing(true);
        }}
      >
        {children}
      </button>
    </>
  );
}
