/// <reference lib="dom" />
// The offline report file's script: reads the report JSON embedded in the page and renders it.
// Bundled by vite.report.config.mts into one IIFE that the engine inlines into the HTML.
import type { TestReport } from '../domain/testing';
import { renderReport } from './render-report';

function start(): void {
  const root = document.getElementById('tb-report')!;
  try {
    const data = JSON.parse(document.getElementById('tb-report-data')?.textContent ?? 'null') as TestReport | null;
    if (!data || typeof data !== 'object' || !data.comparison) throw new Error('the embedded report data is missing');
    renderReport(root, data);
  } catch (err) {
    const p = document.createElement('p');
    p.className = 'tb-load-error';
    p.textContent = `This report could not be displayed: ${err instanceof Error ? err.message : String(err)}`;
    root.replaceChildren(p);
    throw err;
  }
}

start();
