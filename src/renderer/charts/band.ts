// A filled band between a lower and an upper curve, as two stacked ECharts line series:
// the lower curve as the base, upper - lower stacked on it and filled.
type Pt = [number, number | null];

export function bandSeries(name: string, stack: string, lower: Pt[], upper: Pt[], style: { color?: string; edgeWidth: number; edgeOpacity: number; fillOpacity: number }): object[] {
  const common = { name, type: 'line', stack, symbol: 'none', silent: true, tooltip: { show: false }, ...(style.color ? { itemStyle: { color: style.color } } : {}) };
  const edge = (opacity: number) => ({ width: style.edgeWidth, opacity, ...(style.color ? { color: style.color } : {}) });
  return [
    { ...common, data: lower, lineStyle: edge(style.edgeOpacity) },
    {
      ...common,
      data: upper.map(([x, hi], i) => [x, hi === null || lower[i]?.[1] == null ? null : hi - lower[i]![1]!]),
      lineStyle: edge(style.edgeOpacity * 1.5),
      areaStyle: { opacity: style.fillOpacity, ...(style.color ? { color: style.color } : {}) },
    },
  ];
}
