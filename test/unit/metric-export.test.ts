import { describe, expect, it } from 'vitest';
import { csvCell, metricPointLine } from '../../src/shared/metric-export';

describe('CSV export', () => {
  it('keeps metric names that look like formulas from running as formulas in a spreadsheet', () => {
    for (const name of ['=HYPERLINK("http://x","y")', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      const cell = csvCell(name);
      expect(cell.replace(/^"/, '').startsWith("'"), name).toBe(true);
    }
    expect(csvCell('loss')).toBe('loss');
  });

  it('quotes commas, quotes and both kinds of line break, and writes numbers as they are', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(metricPointLine({ seq: 1, stream: 'metrics', ts: 1.5, step: 2, kind: 'train', name: '=1+1', value: -3 }, 'csv')).toBe("metrics,1,1.5,2,train,'=1+1,-3");
  });
});
