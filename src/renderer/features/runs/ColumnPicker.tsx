// Which columns the runs table shows: searchable, grouped (fields, metrics, parameters); closes on Escape or a click outside.
import { useEffect, useId, useRef, useState } from 'react';
import type { Column, ColumnGroup } from './run-columns';

const GROUPS: ColumnGroup[] = ['Fields', 'Metrics', 'Parameters'];

export function ColumnPicker({ all, chosen, onChange, onReset }: { all: Column[]; chosen: string[]; onChange: (c: string[]) => void; onReset: () => void }) {
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    const outside = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('mousedown', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('mousedown', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  const words = search.trim().toLowerCase();
  const shown = all.filter((c) => !words || c.label.toLowerCase().includes(words) || c.key.toLowerCase().includes(words));
  return (
    <div className="column-picker" ref={root}>
      <button
        type="button"
        ref={button}
        onClick={() => {
          setSearch('');
          setOpen(!open);
        }}
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
      >
        Columns
      </button>
      {open && (
        <div className="column-menu" id={menuId} role="group" aria-label="Columns">
          <input type="search" aria-label="Search columns" placeholder="Search columns" value={search} onChange={(e) => setSearch(e.target.value)} autoFocus spellCheck={false} />
          <div className="column-groups">
            {GROUPS.map((group) => {
              const inGroup = shown.filter((c) => c.group === group);
              if (inGroup.length === 0) return null;
              return (
                <fieldset key={group} className="column-group">
                  <legend>{group}</legend>
                  {inGroup.map((c) => (
                    <label key={c.key} className="checkbox">
                      <input type="checkbox" checked={chosen.includes(c.key)} onChange={(e) => onChange(e.target.checked ? [...chosen, c.key] : chosen.filter((x) => x !== c.key))} />
                      {c.label}
                    </label>
                  ))}
                </fieldset>
              );
            })}
            {shown.length === 0 && <p className="muted">No column matches “{search.trim()}”.</p>}
          </div>
          <button type="button" className="column-reset" onClick={onReset}>
            Default columns
          </button>
        </div>
      )}
    </div>
  );
}
