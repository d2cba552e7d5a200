// Debiased exponential moving average (as TensorBoard's): early points are not pulled toward zero.
export function smoothEma(points: [number, number | null][], weight: number): [number, number | null][] {
  if (weight <= 0) return points;
  let last = 0;
  let n = 0;
  return points.map(([x, y]) => {
    if (y === null || !Number.isFinite(y)) return [x, null];
    last = last * weight + (1 - weight) * y;
    n++;
    return [x, last / (1 - weight ** n)];
  });
}
