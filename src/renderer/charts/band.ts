// A filled band between a lower and an upper curve (a run's exact min/max, or a seed group's std),
// drawn as one ECharts custom series of polygons. It used to be two stacked line series; with 50
// runs on a chart that was 100 extra series and a stacking pass on every zoom, about a third of
// the time a zoom took to draw.
type Pt = [number, number | null];

interface BandStyle {
  color?: string | undefined;
  edgeWidth: number;
  edgeOpacity: number;
  fillOpacity: number;
}

interface Api {
  coord(value: [number, number]): [number, number];
  visual(key: 'color'): string;
}

/** Runs of consecutive x where both edges have a value: the band has a gap wherever either is missing. */
function stretches(lower: Pt[], upper: Pt[]): { x: number; lo: number; hi: number }[][] {
  const out: { x: number; lo: number; hi: number }[][] = [];
  let current: { x: number; lo: number; hi: number }[] = [];
  lower.forEach(([x, lo], i) => {
    const hi = upper[i]?.[1];
    if (lo === null || hi === null || hi === undefined) {
      if (current.length) out.push(current);
      current = [];
    } else current.push({ x, lo, hi });
  });
  if (current.length) out.push(current);
  return out;
}

export function bandSeries(name: string, lower: Pt[], upper: Pt[], style: BandStyle): object {
  const parts = stretches(lower, upper);
  const all = parts.flat();
  // One data item spanning the band, so the axes' extents include all of it; the shape is drawn from `parts`.
  const extent = all.length
    ? [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x)), Math.min(...all.map((p) => p.lo)), Math.max(...all.map((p) => p.hi))]
    : [];
  return {
    name,
    type: 'custom',
    silent: true,
    tooltip: { show: false },
    clip: true,
    z: 1,
    encode: { x: [0, 1], y: [2, 3] },
    data: all.length ? [extent] : [],
    ...(style.color ? { itemStyle: { color: style.color } } : {}),
    renderItem: (_params: unknown, api: Api) => {
      const color = style.color ?? api.visual('color');
      const children: object[] = [];
      for (const part of parts) {
        // Points a log axis cannot place (zero or below) come back as NaN: leave them out.
        const lo = part.map((p) => api.coord([p.x, p.lo])).filter((c) => Number.isFinite(c[1]));
        const hi = part.map((p) => api.coord([p.x, p.hi])).filter((c) => Number.isFinite(c[1]));
        if (!lo.length || !hi.length) continue;
        // The outline is stroked too, so a one-point spike shows as a line up to its value even when
        // its bucket is under a pixel wide (a fill that thin is all but invisible).
        children.push({
          type: 'polygon',
          shape: { points: [...lo, ...hi.reverse()] },
          style: { fill: color, fillOpacity: style.fillOpacity, ...(style.edgeWidth > 0 ? { stroke: color, lineWidth: style.edgeWidth, strokeOpacity: style.edgeOpacity } : {}) },
        });
      }
      return { type: 'group', children };
    },
  };
}
