// Labels of off-scale marks: spikes close together get rows of their own instead of overprinting.
import { describe, expect, it } from 'vitest';
import { labelRows } from '../../src/renderer/charts/y-range';

describe('labelRows', () => {
  it('keeps labels that do not touch in the first row', () => {
    expect(
      labelRows([
        { left: 0, width: 50 },
        { left: 60, width: 50 },
        { left: 200, width: 50 },
      ]),
    ).toEqual([0, 0, 0]);
  });

  it('moves a label that would cover another to the next free row', () => {
    expect(
      labelRows([
        { left: 0, width: 50 },
        { left: 20, width: 50 },
        { left: 40, width: 50 },
        { left: 45, width: 50 },
      ]),
    ).toEqual([0, 1, 2, 3]);
  });

  it('reuses an upper row once the labels there end', () => {
    expect(
      labelRows([
        { left: 0, width: 50 },
        { left: 10, width: 50 },
        { left: 55, width: 50 },
      ]),
    ).toEqual([0, 1, 0]);
  });

  it('keeps labels off the marks drawn in the first row', () => {
    // Two marks 30 px apart: the first's label (drawn right of it) would cover the second's triangle.
    expect(
      labelRows(
        [
          { left: 106, width: 40 },
          { left: 136, width: 40 },
        ],
        [
          { left: 95, right: 105 },
          { left: 125, right: 135 },
        ],
      ),
    ).toEqual([1, 0]);
  });

  it('places no two labels of a row over each other, for any input', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 50; round++) {
      const labels = Array.from({ length: 12 }, () => ({ left: random() * 300, width: 30 + random() * 40 })).sort((a, b) => a.left - b.left);
      const rows = labelRows(labels);
      for (let i = 0; i < labels.length; i++)
        for (let j = i + 1; j < labels.length; j++)
          if (rows[i] === rows[j]) expect(labels[i]!.left + labels[i]!.width <= labels[j]!.left || labels[j]!.left + labels[j]!.width <= labels[i]!.left).toBe(true);
    }
  });
});
