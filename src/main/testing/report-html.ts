// Writes a test report as one self-contained HTML file: stylesheet, data and renderer inline under a
// CSP that allows nothing else, so it opens from file:// with no network and cannot phone home even
// if a model output tried to. Same report in, same bytes out: the file's digest is evidence.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestReport } from '../../shared/domain/testing';
import { REPORT_CSS } from '../../shared/report/report-css';
import { EngineError } from '../errors';
import { PACKAGE_ROOT } from '../version';

/** The renderer bundle built by vite.report.config.mts (part of `npm run build`). */
export const REPORT_RENDERER_PATH = path.join(PACKAGE_ROOT, 'dist', 'report', 'report.js');

// Only the standalone page needs these: the app supplies its own page background and margins.
const PAGE_CSS =
  'html { background: #f6f7f9; } body { margin: 0; } .tb-report { min-height: 100vh; } .tb-report:empty { display: none; }' + ' @media (prefers-color-scheme: dark) { html { background: #14171c; } }';

export function loadReportRenderer(file: string = REPORT_RENDERER_PATH): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new EngineError('REPORT_RENDERER_MISSING', `The report renderer ${file} is missing, so no report file can be written. Run \`npm run build\` in ${PACKAGE_ROOT}, then try again.`, { file });
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that can sit inside a <script> element: `<`, `>` and `&` never occur in JSON outside strings,
 * so escaping them as \u003c etc. keeps the value and leaves no `</script>` or `<!--` for the HTML
 * parser to find; U+2028/2029 are escaped too so the text is also valid as JavaScript.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The renderer as inline script text: a `</script` or `<!--` inside a string literal must not end or derail the element. */
function scriptSafeJs(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\u0021--');
}

export function cspFor(inlineScript: string): string {
  const hash = crypto.createHash('sha256').update(inlineScript, 'utf8').digest('base64');
  return ["default-src 'none'", "style-src 'unsafe-inline'", `script-src 'sha256-${hash}'`, 'img-src data:', "connect-src 'none'", "base-uri 'none'", "form-action 'none'"].join('; ');
}

/** What a reader without JavaScript still gets: the verdict, its reason and every gate, as static text. */
function noscriptFallback(report: TestReport): string {
  const { comparison: c, testRun, suite } = report;
  const gates = c.gates.map((g) => `<li><strong>${escapeHtml(g.title)}</strong>: ${escapeHtml(g.outcome)}. ${escapeHtml(g.summary)}</li>`).join('\n');
  return [
    '<noscript><div class="tb-report">',
    '<header class="tb-header">',
    `<div class="tb-verdict-row"><span class="tb-verdict tb-verdict-${escapeHtml(c.verdict.toLowerCase())}">${escapeHtml(c.verdict)}</span>`,
    `<p class="tb-reason">${escapeHtml(c.reason)}</p></div>`,
    `<h1>${escapeHtml(testRun.project.name)} · ${escapeHtml(`${suite.name}@${suite.version}`)}</h1>`,
    '</header>',
    `<section class="tb-section"><h2>Gates</h2><ul>\n${gates}\n</ul>`,
    '<p class="tb-muted">Turn on JavaScript for this file to see the cases, the output diffs and the provenance. The data is in the file; nothing is fetched.</p>',
    '</section></div></noscript>',
  ].join('\n');
}

/**
 * One self-contained HTML document for `report`, with `rendererJs` (see loadReportRenderer) inline.
 * The report's JSON appears once, so size grows with the data and not with the markup.
 */
export function reportHtml(report: TestReport, rendererJs: string): string {
  const script = scriptSafeJs(rendererJs);
  const { comparison: c, testRun, suite } = report;
  const title = `${c.verdict} · ${testRun.project.name} · ${suite.name}@${suite.version} · Tunebench test report`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(cspFor(script))}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${PAGE_CSS}\n${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    noscriptFallback(report),
    '<div id="tb-report" class="tb-report"></div>',
    `<script type="application/json" id="tb-report-data">${scriptSafeJson(report)}</script>`,
    `<script>${script}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
