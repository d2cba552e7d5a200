// Every page and the main dialogs, at 1024x700 and 1440x900, in the light and the dark theme (switched
// with the sidebar's toggle, as a person would): each is screenshotted (test-results/screenshots/pages/),
// has no sideways overflow, no text cut off and no controls drawn over one another, and axe-core finds
// nothing serious or critical on it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const VIEWPORTS = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
] as const;
const THEMES = ['light', 'dark'] as const;

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-pages-');
const files = tempDir('tb-e2e-pages-files-');
const shots = path.join(ROOT, SCREENSHOT_DIR, 'pages');
let runIds: string[];
let projectId: string;
let testId: string;
let bundleId: string;
let sweepId: string;

function ok(args: string[], timeoutMs = 120_000) {
  const r = cli(args, { dataDir, timeoutMs });
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  runIds = ok(['demo', 'seed', '--runs', '8', '--points', '300', '--json']).json().runIds;
  // Tags and notes in some rows, empty cells in the others: the runs table shows both kinds.
  ok(['run', 'annotate', runIds[0]!, '--tags', 'baseline,warmup-fix', '--notes', 'loss spike at step 60, otherwise smooth']);
  ok(['run', 'annotate', runIds[1]!, '--tags', 'baseline']);
  projectId = (ok(['project', 'list', '--json']).json() as { id: string; name: string }[]).find((p) => p.name === 'demo')!.id;
  // A real (tiny) run, tested against its base model: a test run and its review bundle to look at.
  ok(['host', 'set', 'local', '--python', '/usr/bin/python3']);
  const run = ok(['run', 'launch', '--project', 'demo', '--host', 'local', '--recipe', 'demo-lora-torch', '--param', 'pretrain_steps=10', '--param', 'steps=3', '--json']).json().id as string;
  ok(['run', 'wait', run, '--timeout', '100']);
  ok(['candidate', 'propose', run, '--reason', 'smallest loss']);
  const spec = makeDemoSuite(6);
  fs.writeFileSync(path.join(files, 'demo.json'), JSON.stringify({ ...spec, cases: spec.cases.map(({ line: _line, ...c }) => c) }));
  ok(['suite', 'add', path.join(files, 'demo.json'), '--project', 'demo']);
  // Its exit code says the verdict (a tiny model is INCONCLUSIVE): any finished test run will do here.
  const tested = cli(['test', 'run', '--project', 'demo', '--candidate', run, '--suite', 'demo', '--wait', '--json'], { dataDir, timeoutMs: 120_000 });
  testId = tested.json().id;
  expect(tested.json().status, tested.stderr).toBe('SUCCEEDED');
  ok(['review', 'export', testId, '--out', path.join(files, 'bundle.zip')]);
  bundleId = (ok(['review', 'list', '--json']).json() as { id: string }[])[0]!.id;
  // A small sweep of quick trials on this machine: its page has trials, rungs and charts to look at.
  fs.writeFileSync(
    path.join(files, 'sweep.yaml'),
    'project: demo\nhost: local\nrecipe: demo-lora-stdlib\nmethod: {name: asha, eta: 2, min_resource: 10, max_resource: 40, resource: step}\ntrials: 4\nconcurrency: 2\nparams:\n  lr: {loguniform: [0.1, 10.0]}\n  steps: 40\n  eval_every: 10\n',
  );
  sweepId = ok(['sweep', 'create', path.join(files, 'sweep.yaml'), '--start', '--json']).json().id as string;
  browser = await launchChromium();
  served = await serve(dataDir);
  // The app's CSP (script-src 'self') would refuse axe's injected script: this page is only looked at.
  page = await browser.newPage({ viewport: VIEWPORTS[0], bypassCSP: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/** Goes to a page by its address, as a link would, and waits until it has drawn what it shows. */
async function open(hash: string, ready: (p: Page) => Promise<unknown>): Promise<void> {
  await page.goto(`${served.url.replace(/#.*$/, '')}${hash}`);
  await page.locator('main h1').first().waitFor();
  await ready(page);
  await page.waitForFunction(() => !document.querySelector('main')?.textContent?.includes('Loading'));
}

async function chooseTheme(theme: (typeof THEMES)[number]): Promise<void> {
  await page.getByRole('radio', { name: theme === 'dark' ? 'Dark' : 'Light', exact: true }).check();
  await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
}

/** Two frames: what the last change asked for (a theme, a size) is drawn. */
const settled = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical findings on the page as it is now. */
async function axeFindings(): Promise<Finding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> };
      }
    ).axe;
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
  });
}

/** How far the page (and its main area) reach past the window's right edge, in pixels; 0 when nothing does. */
const sidewaysOverflow = () =>
  page.evaluate(() => {
    const main = document.querySelector('main')!;
    return { page: document.scrollingElement!.scrollWidth - window.innerWidth, main: main.scrollWidth - main.clientWidth };
  });

/**
 * What a person would see as broken layout: text cut off by its own box (no ellipsis, no scrolling), and
 * controls or headings drawn over one another. Rectangles are cut to what their scrolling ancestors
 * show, and only the topmost dialog is looked at while one is open.
 */
const layoutFaults = () =>
  page.evaluate(() => {
    const faults: string[] = [];
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
    const shown = (e: Element) => {
      let r = e.getBoundingClientRect();
      let [l, t, rr, b] = [r.left, r.top, r.right, r.bottom];
      for (let a = e.parentElement; a; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
        r = a.getBoundingClientRect();
        [l, t, rr, b] = [Math.max(l, r.left), Math.max(t, r.top), Math.min(rr, r.right), Math.min(b, r.bottom)];
      }
      [l, t, rr, b] = [Math.max(l, 0), Math.max(t, 0), Math.min(rr, innerWidth), Math.min(b, innerHeight)];
      return rr - l > 1 && b - t > 1 ? { l, t, r: rr, b } : null;
    };
    const scope = [...document.querySelectorAll('[role="dialog"]')].pop() ?? document.body;
    const items = [...scope.querySelectorAll('button, a[href], input, select, textarea, h1, h2, h3, label, legend, th, .badge, .status, kbd')]
      .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('.notices'))
      .map((e) => ({ e, box: shown(e) }))
      .filter((x): x is { e: Element; box: { l: number; t: number; r: number; b: number } } => x.box !== null);
    for (const { e } of items) {
      const cs = getComputedStyle(e);
      const cut = (over: string) => over === 'hidden' || over === 'clip';
      if (e.tagName === 'INPUT' || e.tagName === 'SELECT' || e.tagName === 'TEXTAREA') continue;
      if ((cut(cs.overflowX) && cs.textOverflow !== 'ellipsis' && e.scrollWidth > e.clientWidth + 1) || (cut(cs.overflowY) && e.scrollHeight > e.clientHeight + 1)) faults.push(`cut off: ${name(e)}`);
    }
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++) {
        const [a, b] = [items[i]!, items[j]!];
        if (a.e.contains(b.e) || b.e.contains(a.e)) continue;
        const w = Math.min(a.box.r, b.box.r) - Math.max(a.box.l, b.box.l);
        const h = Math.min(a.box.b, b.box.b) - Math.max(a.box.t, b.box.t);
        if (w > 2 && h > 2) faults.push(`overlap: ${name(a.e)} and ${name(b.e)} (${Math.round(w)}x${Math.round(h)} px)`);
      }
    return faults.slice(0, 8);
  });

/** Looks at the page in every size and theme: screenshot, overflow, axe. `dialog` opens a dialog first (and is closed after). */
async function sweep(name: string, dialog?: () => Promise<Locator>): Promise<void> {
  const problems: string[] = [];
  for (const theme of THEMES) {
    await chooseTheme(theme);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const shown = dialog ? await dialog() : null;
      await settled();
      const size = `${viewport.width}x${viewport.height}`;
      await page.screenshot({ path: path.join(shots, `${name}-${size}-${theme}.png`) });
      const over = await sidewaysOverflow();
      if (over.page > 0) problems.push(`${size} ${theme}: the page is ${over.page}px wider than the window`);
      if (over.main > 1) problems.push(`${size} ${theme}: the main area scrolls sideways by ${over.main}px`);
      for (const fault of await layoutFaults()) problems.push(`${size} ${theme}: ${fault}`);
      for (const f of await axeFindings()) problems.push(`${size} ${theme}: axe ${f.impact} ${f.id} (${f.help}): ${f.nodes.join(' | ')}`);
      if (shown) {
        await page.keyboard.press('Escape');
        await shown.waitFor({ state: 'detached' });
      }
    }
  }
  expect(problems, `${name}:\n${problems.join('\n')}`).toEqual([]);
}

const canvas = (p: Page) => p.locator('main canvas').first().waitFor();

describe('every page, in both sizes and both themes', { timeout: 120_000 }, () => {
  it('projects list', async () => {
    await open('#/projects', (p) => p.getByRole('link', { name: 'demo', exact: true }).waitFor());
    await sweep('projects');
  });

  it('project page', async () => {
    await open(`#/projects/${projectId}`, (p) => p.locator('main h1', { hasText: 'demo' }).waitFor());
    await sweep('project');
  });

  it('hosts', async () => {
    await open('#/hosts', (p) => p.getByRole('table', { name: 'Hosts' }).getByText('this machine').waitFor());
    await sweep('hosts');
  });

  it('runs', async () => {
    await open('#/runs', (p) =>
      p
        .getByRole('status')
        .filter({ hasText: / of \d+ runs/ })
        .waitFor(),
    );
    await sweep('runs');
  });

  it('run page', async () => {
    await open(`#/runs/${runIds[0]}`, canvas);
    await sweep('run');
  });

  it('compare', async () => {
    await open(`#/compare/${runIds.slice(0, 4).join(',')}`, canvas);
    await sweep('compare');
  });

  it('sweeps', async () => {
    await open('#/sweeps', (p) => p.locator('main h1', { hasText: 'Sweeps' }).waitFor());
    await sweep('sweeps');
  });

  it('a sweep', async () => {
    await open(`#/sweeps/${sweepId}`, (p) => p.getByRole('heading', { name: /^Sweep / }).waitFor());
    await sweep('sweep');
  });

  it('the new sweep dialog', async () => {
    await open('#/sweeps', (p) => p.locator('main h1', { hasText: 'Sweeps' }).waitFor());
    await sweep('dialog-new-sweep', async () => {
      await page.getByRole('button', { name: 'New sweep' }).click();
      const d = page.getByRole('dialog', { name: 'New sweep' });
      await d.waitFor();
      return d;
    });
  });

  it('reviews', async () => {
    await open('#/reviews', (p) => p.locator('main table').first().waitFor());
    await sweep('reviews');
  });

  it('a test run', async () => {
    await open(`#/reviews/${testId}`, (p) => p.locator('.tb-report').getByText(/Gates/).first().waitFor());
    await sweep('test-run');
  });

  it('a bundle', async () => {
    await open(`#/reviews/bundle/${bundleId}`, (p) => p.locator('main h1', { hasText: 'Review' }).waitFor());
    await sweep('bundle');
  });

  it('registry', async () => {
    await open('#/registry', (p) => p.locator('main h1', { hasText: 'Registry' }).waitFor());
    await sweep('registry');
  });

  it('the new project dialog', async () => {
    await open('#/projects', (p) => p.getByRole('link', { name: 'demo', exact: true }).waitFor());
    await sweep('dialog-new-project', async () => {
      await page.getByRole('button', { name: 'New project' }).click();
      const d = page.getByRole('dialog', { name: 'New project' });
      await d.waitFor();
      return d;
    });
  });

  it('the add host dialog', async () => {
    await open('#/hosts', (p) => p.getByRole('table', { name: 'Hosts' }).getByText('this machine').waitFor());
    await sweep('dialog-add-host', async () => {
      await page.getByRole('button', { name: 'Add SSH host' }).click();
      const d = page.getByRole('dialog', { name: 'Add SSH host' });
      await d.waitFor();
      return d;
    });
  });

  it('the keyboard shortcuts overlay', async () => {
    await open('#/projects', (p) => p.getByRole('link', { name: 'demo', exact: true }).waitFor());
    await sweep('dialog-shortcuts', async () => {
      await page.locator('main h1').click();
      await page.keyboard.press('?');
      const d = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await d.waitFor();
      return d;
    });
  });

  it('the launch dialog', async () => {
    await open('#/runs', (p) =>
      p
        .getByRole('status')
        .filter({ hasText: / of \d+ runs/ })
        .waitFor(),
    );
    await sweep('dialog-launch', async () => {
      await page.getByRole('button', { name: 'Launch run' }).click();
      const d = page.getByRole('dialog', { name: 'Launch run' });
      await d.waitFor();
      return d;
    });
  });
});
