// Chart export: PNG from the canvas chart (with a title drawn in), SVG by drawing the same option once
// with the SVG renderer.
import { currentTheme } from '../theme';
import { echarts, echartsTheme } from './useECharts';

function download(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

const background = () => (currentTheme() === 'dark' ? '#1b1f26' : '#ffffff');

/** A file name from a title: letters, digits, dots, dashes and underscores. */
export const fileName = (title: string) => title.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'chart';

/** What to export: a chart on the page, or an option drawn at a size (a chart the page draws itself, like Compare's plot). */
export type ExportSource = echarts.ECharts | { option: object; width: number; height: number };

/** One component or a list of them, as a list (an option as given may hold either; ECharts' getOption lists). */
const list = <T>(v: T | T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/**
 * The chart drawn again off screen with `title` above it (the page's figure caption is not part of the
 * canvas), then `draw` gets that copy. The copy uses the page's theme.
 */
function withTitle(source: ExportSource, title: string | undefined, renderer: 'canvas' | 'svg', draw: (copy: echarts.ECharts) => void, legend?: LegendEntry[]): void {
  const live = 'getOption' in source;
  const holder = document.createElement('div');
  holder.style.cssText = 'position:fixed;left:-10000px;top:0';
  document.body.appendChild(holder);
  const top = title ? 28 : 0;
  // A chart whose curves are listed outside its canvas gets them as a legend under the plot, every one
  // of them (rows of about 96 px entries), so the file says which line is which.
  const width = live ? source.getWidth() : source.width;
  const bottom = legend?.length ? Math.ceil(legend.length / Math.max(1, Math.floor((width - 16) / 96))) * 18 + 8 : 0;
  const copy = echarts.init(holder, echartsTheme(currentTheme()), { renderer, width, height: (live ? source.getHeight() : source.height) + top + bottom });
  try {
    const given = (live ? source.getOption() : source.option) as { grid?: object; legend?: object; series?: object };
    const option = {
      ...given,
      grid: list(given.grid) as { top?: number; bottom?: number }[] | undefined,
      legend: list(given.legend) as { top?: number }[] | undefined,
      series: (list(given.series) ?? []) as object[],
    };
    const shift = <T extends { top?: number }>(list: T[] | undefined) => list?.map((g) => ({ ...g, top: (typeof g.top === 'number' ? g.top : 0) + top }));
    const grid = shift(option.grid)?.map((g) => ({ ...g, bottom: (typeof g.bottom === 'number' ? g.bottom : 0) + bottom }));
    copy.setOption({
      ...(option as object),
      animation: false,
      ...(title ? { title: { text: title, left: 8, top: 4, textStyle: { fontSize: 14 } } } : {}),
      ...(grid ? { grid } : {}),
      ...(option.legend ? { legend: shift(option.legend) } : {}),
      ...(bottom && legend
        ? {
            legend: { type: 'plain', left: 8, right: 8, bottom: 4, itemWidth: 18, itemGap: 6, data: legend.map((e) => e.name) },
            // The curves are drawn by one series (see curves.ts): an empty line series per entry gives
            // the legend each curve's colour and dashes.
            series: [
              ...(option.series ?? []),
              ...legend.map((e) => ({ type: 'line', name: e.name, data: [], symbol: 'none', lineStyle: { color: e.color, type: e.lineType ?? 'solid' }, itemStyle: { color: e.color } })),
            ],
          }
        : {}),
    });
    draw(copy);
  } finally {
    copy.dispose();
    holder.remove();
  }
}

/** A curve listed under the plot of an exported chart. */
export interface LegendEntry {
  name: string;
  color: string;
  lineType?: 'solid' | 'dashed' | 'dotted' | undefined;
}

/** `legend`: the curves, for a chart that lists them outside its canvas. */
export function exportPng(source: ExportSource, name: string, title?: string, legend?: LegendEntry[]): void {
  withTitle(source, title, 'canvas', (copy) => download(copy.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: background() }), `${fileName(name)}.png`), legend);
}

export function exportSvg(source: ExportSource, name: string, title?: string, legend?: LegendEntry[]): void {
  withTitle(source, title, 'svg', (copy) => download(copy.getDataURL({ type: 'svg' }), `${fileName(name)}.svg`), legend);
}

export function exportText(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(url, name);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
