// The report's stylesheet, scoped under `.tb-report` so it can sit inside the app's page without
// touching it; its own variables (same palette as the app's styles.css) follow the OS light/dark.
// Every text colour is at least 4.5:1 on each background it sits on, in both schemes (WCAG AA).
// No DOM here: the engine inlines this string into the offline HTML file.

export const REPORT_CSS = `
.tb-report {
  color-scheme: light dark;
  --tb-bg: #f6f7f9; --tb-surface: #ffffff; --tb-surface-2: #f0f2f5; --tb-border: #dde1e7;
  --tb-text: #1c2430; --tb-muted: #5f6b7a; --tb-accent: #3b5bdb; --tb-accent-soft: #e7ecff;
  --tb-ok: #237a36; --tb-ok-soft: #ebfbee; --tb-bad: #c92a2a; --tb-bad-soft: #fff0f0;
  --tb-warn: #a85400; --tb-warn-soft: #fff4e0; --tb-ins: #c3f0cb; --tb-del: #ffd8d8;
  --tb-pass-bg: #237a36; --tb-fail-bg: #c92a2a; --tb-inconclusive-bg: #f59f00; --tb-verdict-fg: #ffffff;
  --tb-font: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif;
  --tb-mono: ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, monospace;
  background: var(--tb-bg); color: var(--tb-text); font: 14px/1.5 var(--tb-font);
  padding: 24px 32px 40px; box-sizing: border-box;
}
@media (prefers-color-scheme: dark) {
  .tb-report {
    --tb-bg: #14171c; --tb-surface: #1b1f26; --tb-surface-2: #232833; --tb-border: #323946;
    --tb-text: #e3e7ee; --tb-muted: #98a2b3; --tb-accent: #7b93ff; --tb-accent-soft: #263057;
    --tb-ok: #69db7c; --tb-ok-soft: #1d3324; --tb-bad: #ff8787; --tb-bad-soft: #3a1f22;
    --tb-warn: #ffc078; --tb-warn-soft: #3b2a14; --tb-ins: #1f5130; --tb-del: #66252b;
    --tb-pass-bg: #237a36; --tb-fail-bg: #e03131; --tb-inconclusive-bg: #f59f00;
  }
}
.tb-report *, .tb-report *::before, .tb-report *::after { box-sizing: border-box; }
.tb-report > * { max-width: 1280px; margin-left: auto; margin-right: auto; }
.tb-report h1 { display: block; font-size: 20px; font-weight: 600; margin: 14px 0 2px; overflow-wrap: anywhere; }
.tb-report h2 { font-size: 16px; font-weight: 600; margin: 0 0 12px; }
.tb-report h3 { font-size: 13px; font-weight: 600; margin: 18px 0 8px; color: var(--tb-muted); text-transform: uppercase; letter-spacing: 0.04em; }
.tb-report p { margin: 0 0 8px; }
.tb-report code, .tb-mono { font-family: var(--tb-mono); font-size: 0.92em; }
.tb-report .tb-muted { color: var(--tb-muted); }
.tb-report .tb-pass { color: var(--tb-ok); }
.tb-report .tb-fail { color: var(--tb-bad); }
.tb-report .tb-num { text-align: right; font-variant-numeric: tabular-nums; }
.tb-report .tb-empty { color: var(--tb-muted); font-style: italic; }
.tb-report .tb-digest { word-break: break-all; }

.tb-report .tb-header, .tb-report .tb-section { background: var(--tb-surface); border: 1px solid var(--tb-border); border-radius: 8px; padding: 18px 20px; margin-bottom: 18px; }
.tb-report .tb-verdict-row { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; }
.tb-report .tb-verdict { display: inline-block; padding: 4px 16px; border-radius: 6px; font-size: 18px; font-weight: 700; letter-spacing: 0.06em; color: var(--tb-verdict-fg); }
.tb-report .tb-verdict-pass { background: var(--tb-pass-bg); }
.tb-report .tb-verdict-fail { background: var(--tb-fail-bg); }
.tb-report .tb-verdict-inconclusive { background: var(--tb-inconclusive-bg); color: #1c2430; }
.tb-report .tb-reason { font-size: 15px; margin: 0; flex: 1; min-width: 16rem; }
.tb-report .tb-sep { color: var(--tb-muted); font-weight: 400; }
.tb-report .tb-suite { font-family: var(--tb-mono); font-size: 0.9em; }
.tb-report .tb-versus { color: var(--tb-muted); overflow-wrap: anywhere; }
.tb-report .tb-model-label { color: var(--tb-text); font-weight: 600; }
.tb-report .tb-role { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.tb-report .tb-runline, .tb-report .tb-chips { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 16px; margin: 6px 0 0; font-size: 13px; }
.tb-report .tb-progress { display: inline-flex; align-items: center; gap: 8px; }
.tb-report .tb-progress-bar { width: 140px; height: 8px; accent-color: var(--tb-accent); }
.tb-report .tb-chip { padding: 2px 10px; border-radius: 12px; background: var(--tb-surface-2); border: 1px solid var(--tb-border); }
.tb-report .tb-chip-bad { color: var(--tb-bad); border-color: var(--tb-bad); background: var(--tb-bad-soft); }
.tb-report .tb-chip-good { color: var(--tb-ok); border-color: var(--tb-ok); background: var(--tb-ok-soft); }

.tb-report .tb-badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 11px; font-weight: 600; line-height: 18px; white-space: nowrap; border: 1px solid var(--tb-border); background: var(--tb-surface-2); color: var(--tb-muted); vertical-align: middle; }
.tb-report .tb-outcome-pass, .tb-report .tb-change-improvement, .tb-report .tb-change-score-up { color: var(--tb-ok); border-color: var(--tb-ok); background: var(--tb-ok-soft); }
.tb-report .tb-outcome-fail, .tb-report .tb-change-regression, .tb-report .tb-critical { color: var(--tb-bad); border-color: var(--tb-bad); background: var(--tb-bad-soft); }
.tb-report .tb-change-score-down { color: var(--tb-bad); border-color: var(--tb-bad); }
.tb-report .tb-outcome-inconclusive, .tb-report .tb-waived, .tb-report .tb-change-missing { color: var(--tb-warn); border-color: var(--tb-warn); background: var(--tb-warn-soft); }
.tb-report .tb-role-candidate, .tb-report .tb-status-running { color: var(--tb-accent); border-color: var(--tb-accent); background: var(--tb-accent-soft); }

.tb-report .tb-table-wrap { overflow-x: auto; }
.tb-report .tb-table { width: 100%; border-collapse: collapse; border: 1px solid var(--tb-border); border-radius: 6px; font-size: 13px; }
.tb-report .tb-table th { text-align: left; font-weight: 600; color: var(--tb-muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.04em; background: var(--tb-surface-2); white-space: nowrap; }
.tb-report .tb-table th, .tb-report .tb-table td { padding: 8px 12px; border-bottom: 1px solid var(--tb-border); vertical-align: top; }
.tb-report .tb-table th.tb-num { text-align: right; }
.tb-report .tb-table tbody tr:last-child td { border-bottom: none; }
.tb-report .tb-gate-title { font-weight: 600; }
.tb-report .tb-gates td:first-child { min-width: 11rem; width: 20%; }
.tb-report .tb-gate-summary { min-width: 14rem; }
.tb-report .tb-gate-numbers { min-width: 16rem; width: 36%; }
.tb-report .tb-gate-nums { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 12px; font-variant-numeric: tabular-nums; }
.tb-report .tb-gate-num { white-space: nowrap; }
.tb-report .tb-gate-fail td:first-child { box-shadow: inset 3px 0 var(--tb-bad); }
.tb-report .tb-gate-pass td:first-child { box-shadow: inset 3px 0 var(--tb-ok); }
.tb-report .tb-gate-inconclusive td:first-child { box-shadow: inset 3px 0 var(--tb-warn); }

.tb-report .tb-kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 0; }
.tb-report .tb-kv dt { color: var(--tb-muted); }
.tb-report .tb-kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.tb-report .tb-kv-compact { font-size: 12px; gap: 0 10px; }
.tb-report .tb-kv-compact dd { font-variant-numeric: tabular-nums; }

.tb-report .tb-interval { display: block; margin: 0 0 6px; max-width: 100%; height: auto; }
.tb-report .tb-iv-axis { stroke: var(--tb-border); stroke-width: 2; }
.tb-report .tb-iv-zero { stroke: var(--tb-muted); stroke-width: 1.5; }
.tb-report .tb-iv-margin { stroke: var(--tb-warn); stroke-width: 1.5; stroke-dasharray: 3 2; }
.tb-report .tb-iv-bar { fill: var(--tb-muted); opacity: 0.85; }
.tb-report .tb-iv-pass { fill: var(--tb-ok); }
.tb-report .tb-iv-fail { fill: var(--tb-bad); }
.tb-report .tb-iv-inconclusive { fill: var(--tb-warn); }
.tb-report .tb-iv-est { fill: var(--tb-text); stroke: var(--tb-surface); stroke-width: 1.5; }
.tb-report .tb-iv-label { fill: var(--tb-muted); font-size: 10px; font-family: var(--tb-font); }

.tb-report .tb-case-list { border: 1px solid var(--tb-border); border-radius: 6px; overflow: hidden; }
.tb-report .tb-case-row { display: grid; grid-template-columns: minmax(12rem, 2.4fr) 6rem minmax(7rem, 1.6fr) 7.5rem 5.5rem 5.5rem 4.5rem; gap: 4px 12px; align-items: baseline; padding: 7px 12px 7px 28px; font-size: 13px; }
.tb-report .tb-case-head { background: var(--tb-surface-2); color: var(--tb-muted); font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; border-bottom: 1px solid var(--tb-border); }
.tb-report .tb-case { border-bottom: 1px solid var(--tb-border); }
.tb-report .tb-case:last-child { border-bottom: none; }
.tb-report .tb-case > summary { list-style: none; cursor: pointer; position: relative; }
.tb-report .tb-case > summary::-webkit-details-marker { display: none; }
.tb-report .tb-case > summary::before { content: '▸'; position: absolute; left: 11px; top: 7px; color: var(--tb-muted); transition: transform 0.1s; }
.tb-report .tb-case[open] > summary::before { transform: rotate(90deg); }
.tb-report .tb-case > summary:hover { background: var(--tb-surface-2); }
.tb-report .tb-case[open] > summary { background: var(--tb-surface-2); }
.tb-report .tb-case-regression > summary, .tb-report .tb-case-score-down > summary { box-shadow: inset 3px 0 var(--tb-bad); }
.tb-report .tb-case-improvement > summary, .tb-report .tb-case-score-up > summary { box-shadow: inset 3px 0 var(--tb-ok); }
.tb-report .tb-case-missing > summary { box-shadow: inset 3px 0 var(--tb-warn); }
.tb-report .tb-c-id { min-width: 0; overflow-wrap: anywhere; }
.tb-report .tb-c-id .tb-badge { margin-left: 6px; }
.tb-report .tb-waived-reason { display: block; font-size: 12px; color: var(--tb-warn); }
.tb-report .tb-c-tags { display: flex; flex-wrap: wrap; gap: 4px; min-width: 0; }
.tb-report .tb-tag { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 11px; background: var(--tb-accent-soft); color: var(--tb-accent); overflow-wrap: anywhere; }
.tb-report .tb-c-kind { color: var(--tb-muted); }
.tb-report .tb-case-same .tb-c-score, .tb-report .tb-case-same .tb-c-delta { color: var(--tb-muted); }
.tb-report .tb-list-footer { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 8px 12px; font-size: 13px; border-top: 1px solid var(--tb-border); background: var(--tb-surface-2); }

.tb-report .tb-case-body { padding: 12px 16px 16px 28px; border-top: 1px solid var(--tb-border); }
.tb-report .tb-pair { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; margin-bottom: 10px; }
.tb-report .tb-pane-title { font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; color: var(--tb-muted); margin-bottom: 4px; }
.tb-report .tb-pane-candidate .tb-pane-title { color: var(--tb-accent); }
.tb-report .tb-text { margin: 0; padding: 8px 10px; border-radius: 6px; border: 1px solid var(--tb-border); background: var(--tb-surface-2); font: 12.5px/1.5 var(--tb-mono); white-space: pre-wrap; overflow-wrap: anywhere; max-height: 26em; overflow: auto; }
.tb-report .tb-json { max-height: 18em; }
/* Full text colour on the diff marks: the muted legend's grey is under 4.5:1 on their tints. */
.tb-report .tb-ins { background: var(--tb-ins); color: var(--tb-text); text-decoration: none; border-radius: 2px; }
.tb-report .tb-del { background: var(--tb-del); color: var(--tb-text); text-decoration: line-through; border-radius: 2px; }
.tb-report .tb-diff-note { font-size: 12px; color: var(--tb-muted); margin: 0 0 6px; }
.tb-report .tb-rec-meta { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; font-size: 12px; color: var(--tb-muted); margin-bottom: 4px; }
.tb-report .tb-detail { font-size: 12.5px; margin: 6px 0 0; overflow-wrap: anywhere; }
.tb-report .tb-error { font-size: 12.5px; margin: 6px 0 0; color: var(--tb-bad); overflow-wrap: anywhere; }
.tb-report .tb-pane .tb-kv { margin-top: 6px; }

.tb-report .tb-filters { display: flex; flex-wrap: wrap; align-items: center; gap: 10px; margin-bottom: 10px; }
.tb-report .tb-input, .tb-report .tb-select, .tb-report .tb-button { font: inherit; font-size: 13px; color: var(--tb-text); background: var(--tb-bg); border: 1px solid var(--tb-border); border-radius: 6px; padding: 5px 10px; }
.tb-report .tb-input { flex: 1; min-width: 14rem; max-width: 28rem; }
.tb-report .tb-button { background: var(--tb-surface); cursor: pointer; }
.tb-report .tb-button:hover { background: var(--tb-surface-2); }
.tb-report :focus-visible { outline: 2px solid var(--tb-accent); outline-offset: 2px; }
/* A scroll area's ring is drawn inside it: a case list clips what sticks out, and the ring must show. */
.tb-report .tb-scroll:focus-visible { outline-offset: -2px; }

.tb-report .tb-model { margin-bottom: 18px; }
.tb-report .tb-model h3 { text-transform: none; letter-spacing: 0; font-size: 14px; color: var(--tb-text); }
.tb-report .tb-model .tb-kv { margin-bottom: 10px; }
.tb-report .tb-load-error { color: var(--tb-bad); }

@media (max-width: 820px) {
  .tb-report { padding: 12px; }
  .tb-report .tb-pair { grid-template-columns: minmax(0, 1fr); }
  .tb-report .tb-case-head { display: none; }
  .tb-report .tb-case-row { grid-template-columns: minmax(0, 1.5fr) repeat(3, minmax(0, 1fr)); }
  .tb-report .tb-c-id { grid-column: 1 / -1; }
  .tb-report .tb-c-tags { grid-column: 2 / -1; }
  .tb-report .tb-gates thead { display: none; }
  .tb-report .tb-gates, .tb-report .tb-gates tbody, .tb-report .tb-gates tr, .tb-report .tb-gates td { display: block; width: auto; min-width: 0; }
  .tb-report .tb-gates td { border-bottom: none; padding: 4px 12px; }
  .tb-report .tb-gates tr { border-bottom: 1px solid var(--tb-border); padding: 6px 0; }
  .tb-report .tb-gates td:first-child { box-shadow: none; width: auto; min-width: 0; }
  .tb-report .tb-gate-fail { box-shadow: inset 3px 0 var(--tb-bad); }
  .tb-report .tb-gate-pass { box-shadow: inset 3px 0 var(--tb-ok); }
  .tb-report .tb-gate-inconclusive { box-shadow: inset 3px 0 var(--tb-warn); }
}
@media print {
  .tb-report .tb-filters, .tb-report .tb-list-footer .tb-button { display: none; }
  .tb-report .tb-text { max-height: none; }
}
`;
