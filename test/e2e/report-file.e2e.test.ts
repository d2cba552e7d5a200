// The offline report file: one HTML document that renders a test report from file:// with the
// network off, shows hostile model output as text, and is the same bytes for the same report.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseComparison, CaseRecord, Gate, TagSummary, TestReport } from '../../src/shared/domain/testing';
import { loadReportRenderer, REPORT_RENDERER_PATH, reportHtml } from '../../src/main/testing/report-html';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { ROOT, tempDir } from '../support/tunebench';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const HOSTILE = 'Sure thing </script><img src=http://example.invalid/x> <!-- hi there --> How can I help?\u2028Bye';
const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

type Rec = Partial<CaseRecord> & Pick<CaseRecord, 'output' | 'pass' | 'score'>;
const rec = (model: CaseRecord['model'], caseId: string, r: Rec): CaseRecord => ({
  model,
  caseId,
  detail: r.pass === false ? 'did not match' : r.pass ? 'matched' : '',
  error: null,
  tokens: Math.max(1, r.output.split(/\s+/).length),
  ms: 180 + (caseId.length % 7) * 13,
  measures: {},
  ...r,
});

function kase(id: string, kind: CaseComparison['kind'], tags: string[], base: Rec | null, cand: Rec | null, extra: Partial<CaseComparison> = {}): CaseComparison {
  const baseline = base && rec('baseline', id, base);
  const candidate = cand && rec('candidate', id, cand);
  const bs = baseline?.score ?? null;
  const cs = candidate?.score ?? null;
  const delta = bs !== null && cs !== null ? cs - bs : null;
  const change: CaseComparison['change'] =
    !baseline || !candidate
      ? 'missing'
      : baseline.pass === true && candidate.pass === false
        ? 'regression'
        : baseline.pass === false && candidate.pass === true
          ? 'improvement'
          : delta !== null && delta < -1e-12
            ? 'score-down'
            : delta !== null && delta > 1e-12
              ? 'score-up'
              : 'same';
  return { caseId: id, kind, tags, critical: false, weight: 1, input: `Question for ${id}?`, expect: ['answer'], candidate, baseline, change, scoreDelta: delta, waived: null, ...extra };
}

const pass = (output: string): Rec => ({ output, pass: true, score: 1 });
const fail = (output: string, detail = 'did not match'): Rec => ({ output, pass: false, score: 0, detail });

function tagsOf(cases: CaseComparison[]): TagSummary[] {
  const by = new Map<string, CaseComparison[]>();
  for (const c of cases) for (const t of c.tags) by.set(t, [...(by.get(t) ?? []), c]);
  const rate = (cs: CaseComparison[], m: 'candidate' | 'baseline') => cs.filter((c) => c[m]?.pass).length / cs.length;
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tag, cs]) => ({
      tag,
      cases: cs.length,
      candidatePassRate: rate(cs, 'candidate'),
      baselinePassRate: rate(cs, 'baseline'),
      candidateScore: cs.reduce((s, c) => s + (c.candidate?.score ?? 0), 0) / cs.length,
      baselineScore: cs.reduce((s, c) => s + (c.baseline?.score ?? 0), 0) / cs.length,
      regressions: cs.filter((c) => c.change === 'regression').length,
      improvements: cs.filter((c) => c.change === 'improvement').length,
    }));
}

/** A FAIL report as the engine would write it; `filler` plain cases pad it to the wanted size. */
function makeReport(filler: number): TestReport {
  const special: CaseComparison[] = [
    kase('greeting.polite', 'contains', ['safety', 'greeting'], pass('Hello there! How can I help you today?'), fail(HOSTILE, 'missing "hello"'), {
      critical: true,
      input: 'Greet the user politely and offer help.',
      expect: ['hello'],
    }),
    kase('math.add-17', 'exact', ['math'], pass('42'), fail('41'), {
      waived: 'Known tokenizer issue with digits, tracked in #88',
      expect: ['42'],
      input: 'What is 25 + 17? Answer with the number only.',
    }),
    kase('json.invoice', 'json', ['format', 'json'], pass('{"total": 12.5, "currency": "EUR"}'), {
      ...fail('{"total": 12.5, currency: EUR}'),
      error: 'output is not JSON: Expected double-quoted property name at position 15',
    }),
    kase(
      'ppl.wiki-3',
      'perplexity',
      ['lm'],
      { output: '', pass: null, score: 0.412, measures: { perplexity: 2.427, tokens: 118 } },
      { output: '', pass: null, score: 0.371, measures: { perplexity: 2.695, tokens: 118 } },
      { expect: [] },
    ),
    kase('choice.capital-fr', 'choice', ['geo'], fail('Lyon'), pass('Paris'), { expect: ['Paris'], input: 'The capital of France is' }),
    kase('regex.date-iso', 'regex', ['format'], fail('Due on 3/4/2025.'), pass('Due on 2025-03-04.'), { expect: ['\\d{4}-\\d{2}-\\d{2}'] }),
    kase(
      'ppl.wiki-7',
      'perplexity',
      ['lm'],
      { output: '', pass: null, score: 0.388, measures: { perplexity: 2.58 } },
      { output: '', pass: null, score: 0.401, measures: { perplexity: 2.49 } },
      { expect: [] },
    ),
    kase(
      'perf.short-gen',
      'perf',
      ['perf'],
      { output: 'ok', pass: null, score: null, measures: { tokens_per_second: 41.2, latency_p95_ms: 812.4 } },
      { output: 'ok', pass: null, score: null, measures: { tokens_per_second: 44.9, latency_p95_ms: 760.1 } },
      { expect: [] },
    ),
    kase('contains.long-answer', 'contains', ['qa'], pass('A long and careful answer about tides and the moon.'), null),
  ];
  const tags = [['qa'], ['math'], ['safety'], ['format'], ['qa', 'geo']];
  const plain = Array.from({ length: filler }, (_, i) => {
    const id = `gen.case-${String(i + 1).padStart(5, '0')}`;
    const out = `The answer to item ${i + 1} is ${(i * 7) % 13}.`;
    return kase(id, (['contains', 'exact', 'regex'] as const)[i % 3]!, tags[i % tags.length]!, pass(out), pass(out));
  });
  // The engine's order: regressions, score drops, improvements, then the rest by id.
  const rank = { regression: 0, 'score-down': 1, improvement: 2, 'score-up': 3, same: 4, missing: 4 } as const;
  const cases = [...special, ...plain].sort((a, b) => rank[a.change] - rank[b.change] || a.caseId.localeCompare(b.caseId));
  const gates: Gate[] = [
    {
      id: 'critical-regressions',
      title: 'Critical regressions',
      outcome: 'fail',
      summary: '1 critical case(s) pass on the baseline and fail on the candidate without a waiver: greeting.polite.',
      numbers: { criticalCases: 1, regressions: 1, unwaived: 1, waived: 0 },
    },
    {
      id: 'non-inferiority',
      title: 'Non-inferiority of the suite score',
      outcome: 'inconclusive',
      summary: 'The 95% interval [-0.061, 0.021] of candidate - baseline straddles -0.02: more cases are needed to tell.',
      numbers: { estimate: -0.017, lower: -0.061, upper: 0.021, delta: 0.02, n: cases.length - 2, minCases: 20, confidence: 0.95, candidateMean: 0.912, baselineMean: 0.929 },
    },
    {
      id: 'mcnemar',
      title: 'McNemar test on pass/fail',
      outcome: 'pass',
      summary: 'Not significantly worse: 3 regressed, 2 improved, p=1.',
      numbers: { b: 3, c: 2, n: cases.length - 4, pValue: 1, alpha: 0.05 },
    },
    {
      id: 'metric:tokens_per_second',
      title: 'tokens_per_second',
      outcome: 'pass',
      summary: 'tokens_per_second clears its bar (candidate 44.9, baseline 41.2).',
      numbers: { candidate: 44.9, baseline: 41.2, threshold: 30, minAbsoluteChange: null, minRelativeChange: null, change: 3.7, relativeChange: 0.0898, greaterIsBetter: 'yes', pValue: 3.2e-7 },
    },
  ];
  const file = (p: string, size: number) => ({ path: p, size, sha256: sha(p) });
  const count = (ch: CaseComparison['change']) => cases.filter((c) => c.change === ch).length;
  return {
    format: 'tunebench.test-report',
    version: 1,
    testRun: {
      id: '01JDTEST7Q5C2W8ZK3M4N6P9RA',
      project: { id: '01JDPROJ', name: 'Support bot', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct' },
      status: 'succeeded',
      createdAt: 1764390000000,
      endedAt: 1764390742000,
      host: 'gpu-a10g-01',
      progress: { done: cases.length * 2 - 1, total: cases.length * 2 },
    },
    suite: { name: 'support-regressions', version: '3', digest: sha('suite'), cases: cases.length },
    policy: {
      delta: 0.02,
      confidence: 0.95,
      minCases: 20,
      bootstrapResamples: 2000,
      bootstrapSeed: 20261129,
      metrics: { tokens_per_second: { threshold: 30, minAbsoluteChange: null, minRelativeChange: null, greaterIsBetter: true } },
      requiredSuites: ['support-regressions'],
      pinnedSuite: 'support-regressions@3',
    },
    waivers: [{ caseId: 'math.add-17', reason: 'Known tokenizer issue with digits, tracked in #88', at: 1764390800000 }],
    comparison: {
      verdict: 'FAIL',
      reason: 'A critical case regressed: greeting.polite passes on the baseline and fails on the candidate.',
      gates,
      cases,
      tags: tagsOf(cases),
      metrics: [
        { name: 'score', candidate: 0.912, baseline: 0.929, greaterIsBetter: true },
        { name: 'pass_rate', candidate: 0.931, baseline: 0.948, greaterIsBetter: true },
        { name: 'tokens_per_second', candidate: 44.9, baseline: 41.2, greaterIsBetter: true },
        { name: 'latency_p95_ms', candidate: 760.1, baseline: 812.4, greaterIsBetter: false },
      ],
      counts: { cases: cases.length, answered: cases.length - 1, regressions: count('regression'), improvements: count('improvement'), waived: 1 },
    },
    models: [
      {
        role: 'candidate',
        label: 'run 01JDRUN8 outputs/ (demo-lora-torch), checkpoint-1200',
        runId: '01JDRUN8XH2V',
        checkpoint: 'checkpoint-1200',
        loader: 'peft',
        path: '/srv/tunebench/runs/01JDRUN8XH2V/outputs/checkpoint-1200',
        files: [file('adapter_config.json', 712), file('adapter_model.safetensors', 8_798_480)],
        rootDigest: sha('candidate'),
      },
      {
        role: 'baseline',
        label: 'base Qwen/Qwen2.5-0.5B-Instruct',
        runId: null,
        checkpoint: null,
        loader: 'hf',
        path: '/srv/hf-cache/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/7ae5576',
        files: [file('config.json', 659), file('model.safetensors', 988_097_824), file('tokenizer.json', 7_031_645)],
        rootDigest: sha('baseline'),
      },
    ],
    provenance: {
      runnerVersion: 'tunebench-runner 0.1.0',
      seed: 0,
      decoding: 'greedy (argmax), no sampling; the same seed and cases for both models on one host',
      environment: { python: '3.11.9', torch: '2.5.1+cu124', transformers: '4.46.3', gpu: 'NVIDIA A10G (23.7 GiB)', cuda: '12.4' },
      lineage: {
        recipe: 'demo-lora-torch',
        params: { lr: 0.0002, rank: 16, alpha: 32 },
        codeCommit: 'a59ae13f0c9b',
        dirtyDigest: null,
        datasetDigest: sha('dataset'),
        baseModel: 'Qwen/Qwen2.5-0.5B-Instruct@7ae5576',
      },
    },
  };
}

let browser: Browser;
let dir: string;
const report = makeReport(51); // 9 special cases + 51 plain ones = 60

beforeAll(async () => {
  // The HTML inlines the built renderer; build it when missing or older than its sources.
  const srcDir = path.join(ROOT, 'src/shared/report');
  const newest = Math.max(...fs.readdirSync(srcDir).map((f) => fs.statSync(path.join(srcDir, f)).mtimeMs));
  if (!fs.existsSync(REPORT_RENDERER_PATH) || fs.statSync(REPORT_RENDERER_PATH).mtimeMs < newest) {
    execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'vite.report.config.mts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  }
  dir = tempDir('tb-e2e-report-');
  fs.mkdirSync(path.join(ROOT, SCREENSHOT_DIR), { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens an HTML file from file:// offline, recording every request but the document and every console error. */
async function openOffline(file: string, options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number; bypassCSP?: boolean } = {}) {
  const url = pathToFileURL(file).href;
  const context: BrowserContext = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    // Only for the accessibility check: the file's CSP would refuse axe's injected script.
    bypassCSP: options.bypassCSP ?? false,
  });
  const requests: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue();
    requests.push(route.request().url());
    return route.abort();
  });
  await context.setOffline(true);
  const page: Page = await context.newPage();
  page.on('request', (r) => r.url() !== url && requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.locator('.tb-verdict').first().waitFor();
  return { page, context, requests, errors };
}

const shot = (name: string) => path.join(ROOT, SCREENSHOT_DIR, `report-file-${name}.png`);

describe('the offline report file', () => {
  it('renders the verdict, regressions before improvements, and hostile output as text, with no request at all', async () => {
    // Kept under test-results/ so a person can open the very file the test looked at.
    const file = path.join(ROOT, 'test-results', 'report-file-sample.html');
    fs.writeFileSync(file, reportHtml(report, loadReportRenderer()));
    const { page, context, requests, errors } = await openOffline(file);

    await expect(page.locator('#tb-report .tb-verdict').textContent()).resolves.toBe('FAIL');
    expect(await page.locator('#tb-report .tb-reason').textContent()).toContain('greeting.polite');
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(csp).toContain("connect-src 'none'");

    // First appearance of each case in DOM order: every regression comes before every improvement.
    const order = await page.$$eval('details.tb-case', (els) => [...new Set(els.map((e) => (e as HTMLElement).dataset.caseId!))]);
    const at = (id: string) => order.indexOf(id);
    const regressions = ['greeting.polite', 'json.invoice', 'math.add-17', 'ppl.wiki-3'];
    const improvements = ['choice.capital-fr', 'regex.date-iso', 'ppl.wiki-7'];
    for (const id of [...regressions, ...improvements]) expect(at(id), id).toBeGreaterThanOrEqual(0);
    expect(Math.max(...regressions.map(at))).toBeLessThan(Math.min(...improvements.map(at)));
    expect(await page.locator('[data-section="regressions"] details.tb-case').count()).toBe(4);
    expect(await page.locator('[data-section="regressions"] .tb-waived-reason').textContent()).toContain('#88');

    // The hostile candidate output: opened, shown verbatim as text, nothing parsed out of it.
    const row = page.locator('[data-section="regressions"] details[data-case-id="greeting.polite"]');
    await row.locator('summary').click();
    const candidate = row.locator('.tb-pane-candidate .tb-text');
    expect(await candidate.textContent()).toBe(HOSTILE);
    expect(await page.evaluate(() => document.querySelectorAll('img, iframe, object, embed').length)).toBe(0);
    expect(await row.locator('.tb-pane-candidate .tb-text').evaluate((el) => el.querySelectorAll('*:not(ins)').length)).toBe(0);

    // The word diff: changed words are marked on each side, shared words are not.
    await row.locator('.tb-pane-candidate ins.tb-ins').first().waitFor();
    const added = await row.locator('.tb-pane-candidate ins.tb-ins').allTextContents();
    const removed = await row.locator('.tb-pane-baseline del.tb-del').allTextContents();
    expect(added.join('')).toContain('Sure');
    expect(added.join('')).toContain('</script><img');
    expect(removed.join('')).toContain('Hello');
    expect([...added, ...removed].join(' ')).not.toMatch(/\bhelp\b/);
    const math = page.locator('[data-section="regressions"] details[data-case-id="math.add-17"]');
    await math.locator('summary').click();
    await math.locator('.tb-case-body').waitFor(); // the body is built on the (asynchronous) toggle event
    expect(await math.locator('.tb-pane-baseline del.tb-del').allTextContents()).toEqual(['42']);
    expect(await math.locator('.tb-pane-candidate ins.tb-ins').allTextContents()).toEqual(['41']);
    expect(await page.locator('details[data-case-id="json.invoice"]').first().locator('summary .tb-c-score').nth(1).getAttribute('title')).toContain('not JSON');

    // Filtering the full list by tag, then by change type.
    const filter = page.locator('[data-role="case-filter"]');
    await filter.fill('geo');
    expect(await page.locator('[data-section="cases"] details.tb-case').count()).toBe(report.comparison.cases.filter((c) => c.tags.includes('geo')).length);
    await filter.fill('');
    await page.locator('[data-role="change-filter"]').selectOption('regression');
    expect(await page.locator('[data-section="cases"] details.tb-case').count()).toBe(3);
    await page.locator('[data-role="change-filter"]').selectOption('');

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: shot('light') });
    await row.screenshot({ path: shot('diff-light') });
    await page.screenshot({ path: shot('light-full'), fullPage: true });
    await page.locator('[data-section="provenance"]').screenshot({ path: shot('provenance-light') });
    await context.close();

    const dark = await openOffline(file, { colorScheme: 'dark' });
    await dark.page.locator('[data-section="regressions"] details[data-case-id="greeting.polite"] summary').click();
    await dark.page.evaluate(() => window.scrollTo(0, 0));
    await dark.page.screenshot({ path: shot('dark') });
    await dark.page.locator('[data-section="regressions"] details[data-case-id="greeting.polite"]').screenshot({ path: shot('diff-dark') });
    await dark.page.screenshot({ path: shot('dark-full'), fullPage: true });
    await dark.context.close();

    const narrow = await openOffline(file, { width: 420 });
    await narrow.page.locator('[data-section="regressions"] details[data-case-id="greeting.polite"] summary').click();
    const overflow = await narrow.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await narrow.page.screenshot({ path: shot('narrow-light'), fullPage: true });
    await narrow.context.close();
    expect(overflow).toBeLessThanOrEqual(0);

    expect([...requests, ...dark.requests, ...narrow.requests]).toEqual([]);
    expect([...errors, ...dark.errors, ...narrow.errors]).toEqual([]);
  });

  it('passes axe with no serious finding in both schemes, and every scroll area is reached by Tab, ringed, and scrolled by keys', { timeout: 90_000 }, async () => {
    // A long output and a wide table, so some areas really scroll; the rest must be reachable all the same.
    const long = structuredClone(report);
    const json = long.comparison.cases.find((c) => c.caseId === 'json.invoice')!;
    json.candidate!.output = Array.from({ length: 80 }, (_, i) => `line ${i + 1}: {"total": ${i}.5, "currency": "EUR", "note": "${'long '.repeat(12)}"}`).join('\n');
    const file = path.join(dir, 'axe.html');
    fs.writeFileSync(file, reportHtml(long, loadReportRenderer()));
    for (const [colorScheme, width, height] of [
      ['light', 1440, 900],
      ['dark', 1440, 900],
      ['light', 1024, 700],
      ['dark', 1024, 700],
    ] as const) {
      const { page, context, errors } = await openOffline(file, { colorScheme, width, height, bypassCSP: true });
      const where = `${colorScheme} ${width}x${height}`;
      for (const id of ['greeting.polite', 'json.invoice']) {
        const row = page.locator(`[data-section="regressions"] details[data-case-id="${id}"]`);
        await row.locator('summary').click();
        await row.locator('.tb-case-body').waitFor();
      }
      await page.addScriptTag({ path: AXE });
      const findings = await page.evaluate(async () => {
        const axe = (
          window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }
        ).axe;
        const { violations } = await axe.run(document, { resultTypes: ['violations'] });
        return violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map(
            (v) =>
              `${v.impact} ${v.id}: ${v.nodes
                .slice(0, 4)
                .map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`)
                .join(' | ')}`,
          );
      });
      expect(findings, where).toEqual([]);

      // Every scroll area on the page (tables that may scroll sideways, outputs that scroll down) is one Tab stop, named.
      const areas = await page.$$eval('.tb-table-wrap, pre.tb-text', (els) =>
        els.filter((e) => e.getClientRects().length > 0).map((e) => ({ tabindex: e.getAttribute('tabindex'), role: e.getAttribute('role'), label: e.getAttribute('aria-label') })),
      );
      expect(areas.length, where).toBeGreaterThan(6);
      for (const a of areas) expect(a, where).toEqual({ tabindex: '0', role: 'region', label: expect.stringMatching(/\w/) });
      if (width === 1024 ? colorScheme === 'dark' : colorScheme === 'light') {
        // Tab from the top: each area is reached once, with a ring that shows (numbered here so that two alike count twice).
        const total = await page.$$eval('.tb-table-wrap, pre.tb-text', (els) => els.filter((e) => e.getClientRects().length > 0).map((e, i) => e.setAttribute('data-area', String(i))).length);
        await page.evaluate(() => {
          (document.activeElement as HTMLElement | null)?.blur();
          window.scrollTo(0, 0);
        });
        const reached = new Set<string>();
        for (let i = 0; i < 600 && reached.size < total; i++) {
          await page.keyboard.press('Tab');
          const at = await page.evaluate(() => {
            const el = document.activeElement as HTMLElement | null;
            if (!el?.dataset.area) return null;
            const style = getComputedStyle(el);
            return { area: el.dataset.area, label: el.getAttribute('aria-label')!, ring: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 };
          });
          if (!at) continue;
          expect(at.ring, `${where}: no focus ring on ${at.label}`).toBe(true);
          reached.add(at.area);
        }
        expect(reached.size, `${where}: reached ${reached.size} of ${total} scroll areas`).toBe(total);
      }

      // The long output: reached from the keyboard, the arrow keys scroll it.
      const out = page.locator('[data-section="regressions"] details[data-case-id="json.invoice"] .tb-pane-candidate pre.tb-text');
      expect(await out.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
      await out.focus();
      await page.keyboard.press('PageDown');
      await expect.poll(() => out.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
      if (width === 1440) await page.screenshot({ path: shot(`focus-${colorScheme}`) });
      await context.close();
      expect(errors, where).toEqual([]);
    }
  });

  it('keeps the markup safe and the bytes the same for the same report', () => {
    const js = loadReportRenderer();
    const html = reportHtml(report, js);
    expect(reportHtml(structuredClone(report), js)).toBe(html);
    expect(sha(reportHtml(JSON.parse(JSON.stringify(report)) as TestReport, js))).toBe(sha(html));
    // Only the two script elements close, and the output's comment opener is escaped away.
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(html).not.toMatch(/[\u2028\u2029]/);
    const data = /<script type="application\/json" id="tb-report-data">([^<]*)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(data)).toEqual(report);
    expect(html).toContain('<noscript>');
    expect(() => loadReportRenderer(path.join(dir, 'missing.js'))).toThrow(/npm run build/);
  });

  it('stays under 10 MB and responsive at 10,000 cases x 2 models', async () => {
    const big = makeReport(10_000 - 9);
    const t0 = performance.now();
    const html = reportHtml(big, loadReportRenderer());
    const ms = performance.now() - t0;
    const bytes = Buffer.byteLength(html);
    console.log(`report-file: 10,000-case report HTML is ${(bytes / 1e6).toFixed(2)} MB (${bytes} bytes), built in ${ms.toFixed(0)} ms`);
    expect(bytes).toBeLessThan(10_000_000);

    const file = path.join(dir, 'big.html');
    fs.writeFileSync(file, html);
    const t1 = performance.now();
    const { page, context, requests, errors } = await openOffline(file);
    const openMs = performance.now() - t1;
    const rows = await page.locator('details.tb-case').count();
    const t2 = performance.now();
    await page.locator('[data-role="case-filter"]').fill('case-0123');
    await expect.poll(() => page.locator('[data-section="cases"] .tb-filter-status').textContent()).toBe('10 of 10,000 cases match');
    const filterMs = performance.now() - t2;
    console.log(`report-file: 10,000 cases open and render in ${openMs.toFixed(0)} ms with ${rows} rows drawn; a filter keystroke takes ${filterMs.toFixed(0)} ms`);
    expect(rows).toBeLessThanOrEqual(3 * 200);
    await page
      .locator('[data-section="cases"] .tb-list-footer button')
      .count()
      .then((n) => expect(n).toBe(0));
    await context.close();
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  }, 120_000);
});
