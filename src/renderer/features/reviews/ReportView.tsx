// The report, drawn by the same renderer as the offline HTML file (src/shared/report), into a div.
// Its CSS goes in as a constructed stylesheet: the app's CSP allows no inline <style>.
import { useEffect, useRef } from 'react';
import type { TestReport } from '../../../shared/domain/testing';
import { REPORT_CSS } from '../../../shared/report/report-css';
import { renderReport } from '../../../shared/report/render-report';

let adopted = false;
function adoptReportCss(): void {
  if (adopted) return;
  adopted = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(REPORT_CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

export function ReportView({ report }: { report: TestReport }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    adoptReportCss();
    if (!ref.current) return;
    renderReport(ref.current, report);
    // Wide tables and long outputs scroll sideways: keyboard users reach them with Tab (axe: scrollable-region-focusable).
    for (const el of ref.current.querySelectorAll<HTMLElement>('.tb-table-wrap, pre')) el.tabIndex = 0;
  }, [report]);
  return <div className="tb-report" ref={ref} />;
}
