// Chart export: PNG from the canvas chart, SVG by drawing the same option once with the SVG renderer.
import { echarts } from './useECharts';

function download(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function exportPng(chart: echarts.ECharts, name: string): void {
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  download(chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: dark ? '#1b1f26' : '#ffffff' }), `${name}.png`);
}

export function exportSvg(chart: echarts.ECharts, name: string): void {
  const holder = document.createElement('div');
  holder.style.cssText = 'position:fixed;left:-10000px;top:0';
  document.body.appendChild(holder);
  const svg = echarts.init(holder, undefined, { renderer: 'svg', width: chart.getWidth(), height: chart.getHeight() });
  try {
    svg.setOption({ ...(chart.getOption() as object), animation: false });
    download(svg.getDataURL({ type: 'svg' }), `${name}.svg`);
  } finally {
    svg.dispose();
    holder.remove();
  }
}

export function exportText(text: string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(url, name);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
