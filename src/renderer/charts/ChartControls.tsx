// The controls above a line chart: reset zoom, outlier-robust y range, min/max bands.
export interface ChartSettings {
  robust: boolean;
  /** null: the default for what is drawn (see bandsByDefault). */
  bands: boolean | null;
}

export function ChartControls({
  title,
  zoomed,
  onReset,
  settings,
  bandsShown,
  hasBands,
  cut,
  onChange,
}: {
  title: string;
  zoomed: boolean;
  onReset: () => void;
  settings: ChartSettings;
  bandsShown: boolean;
  hasBands: boolean;
  cut: boolean;
  onChange: (s: ChartSettings) => void;
}) {
  return (
    <span className="toolbar chart-controls">
      {zoomed && (
        <button type="button" onClick={onReset} aria-label={`Reset zoom of the ${title} chart`} title="Show all steps (or double-click the chart)">
          Reset zoom
        </button>
      )}
      <label className="checkbox" title="Fit the y axis to the bulk of the values; values beyond it are drawn off the edge and marked with their value">
        <input type="checkbox" checked={settings.robust} onChange={(e) => onChange({ ...settings, robust: e.target.checked })} aria-label={`Outlier-robust y axis for ${title}`} />
        Robust y{cut ? ' (outliers marked)' : ''}
      </label>
      {hasBands && (
        <label className="checkbox" title="Each curve's exact min and max over the points each drawn point stands for">
          <input type="checkbox" checked={bandsShown} onChange={(e) => onChange({ ...settings, bands: e.target.checked })} aria-label={`Min/max bands for ${title}`} />
          Min/max
        </label>
      )}
    </span>
  );
}
