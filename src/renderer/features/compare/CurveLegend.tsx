// The curves of a Compare chart, as buttons above it: a click hides or shows a curve (and its band).
// Drawn by React rather than by ECharts: ECharts lays out a 50-entry legend again on every redraw.
import { memo } from 'react';
import type { LegendEntry } from '../../charts/export';

const DASH = { solid: undefined, dashed: '5 3', dotted: '1.5 2.5' } as const;

export const CurveLegend = memo(function CurveLegend({ entries, hidden, onToggle, label }: { entries: LegendEntry[]; hidden: ReadonlySet<string>; onToggle: (name: string) => void; label: string }) {
  if (entries.length === 0) return null;
  return (
    <ul className="curve-legend" aria-label={label}>
      {entries.map((e) => (
        <li key={e.name}>
          <button type="button" aria-pressed={!hidden.has(e.name)} title={hidden.has(e.name) ? `Show ${e.name}` : `Hide ${e.name}`} onClick={() => onToggle(e.name)}>
            <svg width="18" height="8" aria-hidden="true">
              <line x1="1" y1="4" x2="17" y2="4" stroke={e.color} strokeWidth="2.5" strokeDasharray={DASH[e.lineType ?? 'solid']} />
            </svg>
            <span className="mono">{e.name}</span>
          </button>
        </li>
      ))}
    </ul>
  );
});
