// Filled bands between a lower and an upper curve (each run's exact min/max, or a seed group's
// std), all drawn by one ECharts custom series of polygons. They used to be two stacked line series
// per band: with 50 runs on a chart that was 100 extra series and a stacking pass on every redraw
// (a zoom with no bands drawn at all measured about a third faster).
type Pt = [number, number | null];

export interface Band {
  /** The curve the band belongs to (its legend entry): hidden with it. */
  name: string;
  lower: Pt[];
  upper: Pt[];
  color: string;
  /** Outline width; 0 for none. The outline is what shows a one-point spike under a pixel wide. */
  edgeWidth: number;
  edgeOpacity: number;
  fillOpacity: number;
}

interface Api {
  coord(value: [number, number]): [number, number];
}

interface Stretch {
  x: number;
  lo: number;
  hi: number;
}

/** Runs of consecutive x where both edges have a value: the band has a gap wherever either is missing. */
export function stretches(lower: Pt[], upper: Pt[]): Stretch[][] {
  const out: Stretch[][] = [];
  let current: Stretch[] = [];
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

/**
 * A stretch's outline in pixels: the lower edge left to right, the upper edge back. Points a log axis
 * cannot place (zero or below) come back as NaN and are left out; null when an edge has none left.
 * Shared by the series below (exported files) and Compare's plot (plot.ts).
 */
export function bandOutline(part: Stretch[], coord: (x: number, y: number) => readonly [number, number]): [number, number][] | null {
  const points: [number, number][] = [];
  for (const p of part) {
    const [x, y] = coord(p.x, p.lo);
    if (Number.isFinite(y)) points.push([x, y]);
  }
  const lower = points.length;
  for (let i = part.length - 1; i >= 0; i--) {
    const [x, y] = coord(part[i]!.x, part[i]!.hi);
    if (Number.isFinite(y)) points.push([x, y]);
  }
  return lower === 0 || points.length === lower ? null : points;
}

/** One custom series drawing every band (legend entries belong to the curves, not to it). */
export function bandsSeries(bands: Band[]): object {
  const drawn = bands.map((b) => ({ band: b, parts: stretches(b.lower, b.upper) })).filter((d) => d.parts.length > 0);
  // One data item per band spanning it, so the axes' extents include it; the shape comes from `parts`.
  const data = drawn.map(({ parts }) => {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const part of parts) {
      for (const p of part) {
        if (p.x < x0) x0 = p.x;
        if (p.x > x1) x1 = p.x;
        if (p.lo < y0) y0 = p.lo;
        if (p.hi > y1) y1 = p.hi;
      }
    }
    return [x0, x1, y0, y1];
  });
  return {
    id: 'bands',
    name: 'min/max bands',
    type: 'custom',
    silent: true,
    tooltip: { show: false },
    clip: true,
    z: 1,
    encode: { x: [0, 1], y: [2, 3] },
    data,
    renderItem: (params: { dataIndex: number }, api: Api) => {
      const { band, parts } = drawn[params.dataIndex]!;
      const children: object[] = [];
      for (const part of parts) {
        const points = bandOutline(part, (x, y) => api.coord([x, y]));
        if (!points) continue;
        children.push({
          type: 'polygon',
          shape: { points },
          style: { fill: band.color, fillOpacity: band.fillOpacity, ...(band.edgeWidth > 0 ? { stroke: band.color, lineWidth: band.edgeWidth, strokeOpacity: band.edgeOpacity } : {}) },
        });
      }
      return { type: 'group', children };
    },
  };
}
