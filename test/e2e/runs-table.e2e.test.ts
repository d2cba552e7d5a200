// The runs table in Chromium: filter with the language (and see where a bad filter goes wrong),
// sort by a metric summary, tag a run inline; the CLI sees the tag.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-table-');

/**
 * What the table should show, worked out without the filter and sort engine it tests: every run as the
 * run list has it (parameters, creation time), and each run's lowest eval_loss read from its raw points.
 */
interface SeededRun {
  id: string;
  createdAt: number;
  params: { lr: number; rank: number; seed: number };
  evalLossMin: number;
}
let seeded: SeededRun[];

beforeAll(async () => {
  expect(cli(['demo', 'seed', '--runs', '300', '--points', '50'], { dataDir }).code).toBe(0);
  const listed = cli(['run', 'list', '--json'], { dataDir }).json() as Omit<SeededRun, 'evalLossMin'>[];
  const db = new Database(path.join(dataDir, 'tunebench.db'), { readonly: true });
  const mins = new Map<string, number>();
  for (const [runId, value] of db.prepare("SELECT s.run_id, p.value FROM metric_points p JOIN metric_series s ON s.id = p.series_id WHERE s.name = 'eval_loss'").raw().all() as [string, number][]) {
    mins.set(runId, Math.min(mins.get(runId) ?? Infinity, value));
  }
  db.close();
  seeded = listed.map((r) => ({ id: r.id, createdAt: r.createdAt, params: r.params, evalLossMin: mins.get(r.id)! }));
  expect(seeded).toHaveLength(300);
  expect(seeded.every((r) => Number.isFinite(r.evalLossMin))).toBe(true);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Counts the chart queries the page sends, as it sends them: a test can tell that none went out.
  await page.addInitScript(() => {
    const w = window as unknown as { windowQueries: number };
    w.windowQueries = 0;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      if (typeof data === 'string' && data.includes('"method":"metrics.window"')) w.windowQueries++;
      return send.call(this, data);
    };
  });
  await page.goto(served.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const status = () => page.getByRole('status').filter({ hasText: / of 300 runs/ });

describe('the runs table', () => {
  it('shows 300 runs but renders only the visible rows', async () => {
    await expect.poll(async () => status().textContent()).toBe('300 of 300 runs');
    const rendered = await page.getByRole('table', { name: 'Runs' }).locator('tbody tr[aria-rowindex]').count();
    expect(rendered).toBeLessThan(40);
  });

  it('filters with the language and points at the position of a mistake', async () => {
    const input = page.getByLabel('Filter runs');
    await input.fill('lr < 3e-4 and eval_loss.min <');
    await page.getByRole('alert').filter({ hasText: 'expected a value after "<"' }).waitFor();
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'runs-filter-error-light.png') });
    await input.fill('lr < 3e-4 and rank >= 8');
    const expected = seeded.filter((r) => r.params.lr < 3e-4 && r.params.rank >= 8).length;
    await expect.poll(async () => status().textContent()).toBe(`${expected} of 300 runs`);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(300);
  });

  it('sorts by a metric summary from its header', async () => {
    await page.getByLabel('Filter runs').fill('');
    await page.getByRole('button', { name: /^eval_loss\.min/ }).click(); // descending first
    await page.getByRole('button', { name: /^eval_loss\.min/ }).click(); // then ascending
    const best = [...seeded].sort((a, b) => a.evalLossMin - b.evalLossMin)[0]!.id;
    await expect.poll(async () => page.getByRole('table', { name: 'Runs' }).locator('tbody tr[aria-rowindex] td a').first().getAttribute('title')).toBe(best);
  });

  it('tags and notes a run inline, and the filter and the CLI see them', async () => {
    const firstRow = page.getByRole('table', { name: 'Runs' }).locator('tbody tr[aria-rowindex]').first();
    const id = (await firstRow.locator('td a').first().getAttribute('title'))!;
    await firstRow.getByRole('button', { name: /Edit tags/ }).click();
    await page.getByLabel(`Tags of ${id}`).fill('golden, baseline');
    await page.keyboard.press('Enter');
    await page.getByLabel('Filter runs').fill('tag:golden');
    await expect.poll(async () => status().textContent(), { timeout: 5000 }).toBe('1 of 300 runs');
    expect(
      cli(['run', 'list', '--filter', 'tag:golden', '--json'], { dataDir })
        .json()
        .map((r: { id: string; tags: string[] }) => [r.id, r.tags]),
    ).toEqual([[id, ['golden', 'baseline']]]);
    await firstRow.getByRole('button', { name: /Edit notes/ }).click();
    await page.getByLabel(`Notes of ${id}`).fill('diverged after warmup');
    await page.keyboard.press('Enter');
    await page.getByLabel('Filter runs').fill('notes ~ "diverged"');
    await expect.poll(async () => status().textContent(), { timeout: 5000 }).toBe('1 of 300 runs');
    await expect.poll(async () => page.getByRole('table', { name: 'Runs' }).getByText('diverged after warmup').isVisible()).toBe(true);
    // Escape leaves the notes as they were.
    await page
      .getByRole('table', { name: 'Runs' })
      .getByRole('button', { name: /Edit notes/ })
      .click();
    await page.getByLabel(`Notes of ${id}`).fill('not this');
    await page.keyboard.press('Escape');
    expect(
      cli(['run', 'list', '--filter', 'notes ~ "diverged"', '--json'], { dataDir })
        .json()
        .map((r: { notes: string }) => r.notes),
    ).toEqual(['diverged after warmup']);
    await page.getByLabel('Filter runs').fill('');
    await expect.poll(async () => status().textContent()).toBe('300 of 300 runs');
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'runs-table-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'runs-table-dark.png') });
  });

  it('compares three filtered runs: axis, smoothing, zoom, diff-only config, export', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByLabel('Filter runs').fill('lr = 2e-4');
    const matching = seeded.filter((r) => r.params.lr === 2e-4).length;
    await expect.poll(async () => status().textContent()).toBe(`${matching} of 300 runs`);
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody tr[aria-rowindex]');
    for (let i = 0; i < 3; i++) await rows.nth(i).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Compare (3)' }).click();
    const figure = page.getByRole('figure', { name: 'loss comparison', exact: true });
    const chart = figure.locator('.chart-canvas');
    await expect.poll(async () => chart.getAttribute('data-runs')).toBe('3');
    // Each seeded run has a +25 one-point loss spike: the overlay must keep it.
    await expect.poll(async () => Number(await chart.getAttribute('data-max'))).toBeGreaterThan(20);
    await page.getByLabel('X axis').selectOption('time');
    await expect.poll(async () => chart.getAttribute('data-axis')).toBe('time');
    await expect.poll(async () => chart.getAttribute('data-runs')).toBe('3');
    await page.getByLabel('X axis').selectOption('tokens');
    await expect.poll(async () => chart.getAttribute('data-axis')).toBe('tokens');
    // Seeded runs see 4,096 tokens a step: the last point sits at 50 steps x 4,096 tokens.
    await expect.poll(async () => Number(await chart.getAttribute('data-xmax'))).toBe(50 * 4096);
    await page.getByLabel('Smoothing').fill('0.9');
    await expect.poll(async () => chart.getAttribute('data-smoothing')).toBe('0.9');
    const box = (await chart.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2); // a focused chart takes the plain wheel
    for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await chart.getAttribute('data-from')) !== '').toBe(true);
    // Changing the smoothing redraws the same window: the zoom is kept, and no run is queried again.
    const settled = async () => {
      await expect.poll(async () => (await chart.getAttribute('data-started')) === (await chart.getAttribute('data-shown'))).toBe(true);
      return [await chart.getAttribute('data-from'), await chart.getAttribute('data-started'), await chart.getAttribute('data-loads')];
    };
    const zoomed = await settled();
    const queries = () => page.evaluate(() => (window as unknown as { windowQueries: number }).windowQueries);
    const queriesBefore = await queries();
    await page.getByLabel('Smoothing').fill('0.5');
    await expect.poll(async () => chart.getAttribute('data-smoothing')).toBe('0.5');
    // The redraw with the new smoothing has run its effects (React runs them before it hands an input
    // event back; a frame and a task more to be sure): a reload would have sent its queries by now.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    expect(await queries()).toBe(queriesBefore);
    expect(await settled()).toEqual(zoomed);
    const config = page.getByRole('table', { name: 'Config differences' });
    await expect.poll(async () => page.getByRole('table', { name: 'Config differences' }).locator('tbody tr').count()).toBeGreaterThan(0);
    // Same lr in all three: with differences only, lr is not listed, but rank or seed is.
    await expect.poll(async () => config.getByText('params.lr', { exact: true }).count()).toBe(0);
    expect(await config.getByText(/^params\.(rank|seed)$/).count()).toBeGreaterThan(0);
    // rank and seed differ among the three: parallel coordinates show them and the objective.
    expect(Number(await page.getByRole('figure', { name: 'Parallel coordinates' }).locator('.chart-canvas').getAttribute('data-axes'))).toBeGreaterThanOrEqual(2);
    await page.getByLabel('Differences only').uncheck();
    await config.getByText('params.lr', { exact: true }).waitFor();
    const download = page.waitForEvent('download');
    await figure.getByRole('button', { name: 'SVG' }).click();
    expect((await download).suggestedFilename()).toBe('loss.svg');
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-light.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await page.getByRole('heading', { name: 'Compare', level: 1 }).waitFor();
  });

  it('groups runs that differ only in seed into a mean with a deviation band', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
    const sameButSeed = seeded.filter((r) => r.params.lr === 1e-4 && r.params.rank === 4).sort((a, b) => a.createdAt - b.createdAt);
    const ids = sameButSeed.slice(0, 3).map((r) => r.id);
    expect(new Set(sameButSeed.slice(0, 3).map((r) => r.params.seed)).size).toBe(3); // three seeds of one configuration
    await page.goto(`${served.origin}/#/compare/${ids.join(',')}`);
    const chart = page.getByRole('figure', { name: 'loss comparison', exact: true }).locator('.chart-canvas');
    await expect.poll(async () => chart.getAttribute('data-curves')).toBe('3');
    await page.getByLabel('Group seeds').check();
    await expect.poll(async () => chart.getAttribute('data-curves')).toBe('1');
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-seed-groups-light.png') });
  });
});
