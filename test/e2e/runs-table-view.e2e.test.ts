// The runs table as a researcher keeps coming back to it: the view (filter, sort, columns, selection) in
// the address, surviving a run opened and back, forward, reload and a shared link; typos in a filter value
// said; sticky header and run column; default columns from what differs; run names beside ids, renamed
// inline and from the CLI; a tag editor that shows what is typed; a column picker with search and groups;
// and the rows as one Tab stop with arrow keys.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-view-');
/** Three of the 44 runs have an `alpha` parameter: a column of it would be dashes for 41 of them. */
let withAlpha: string[];
const TOTAL = 44;

const ok = (args: string[]) => {
  const r = cli(args, { dataDir });
  expect(r.code, r.stderr).toBe(0);
  return r;
};

beforeAll(async () => {
  ok(['demo', 'seed', '--runs', '40', '--points', '20']);
  ok(['demo', 'seed', '--runs', '4', '--points', '20', '--project', 'vision']);
  const db = new Database(path.join(dataDir, 'tunebench.db'));
  withAlpha = (db.prepare('SELECT id FROM runs ORDER BY created_at LIMIT 3').raw().all() as [string][]).map(([id]) => id);
  for (const [i, id] of withAlpha.entries()) db.prepare("UPDATE runs SET params = json_set(params, '$.alpha', ?) WHERE id = ?").run(8 * (i + 1), id);
  db.close();
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(10_000); // a step that cannot happen fails as that step, before the test's time is up
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const table = () => page.getByRole('table', { name: 'Runs' });
const rows = () => table().locator('tbody tr[aria-rowindex]');
const count = () => page.getByRole('status').filter({ hasText: / of \d+ runs/ });
const headers = async () => (await table().locator('thead th').allTextContents()).map((t) => t.replace(/[▲▼]/g, '').trim()).filter(Boolean);
const filterBox = () => page.getByLabel('Filter runs');
const shot = (name: string) => page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, `${name}.png`) });
/** What the table shows now: the filter typed, the sorted column, the columns, the runs ticked. */
async function shownView() {
  await table().locator('tbody tr[aria-rowindex] a').first().waitFor();
  return {
    filter: await filterBox().inputValue(),
    sorted: (await table().locator('thead th[aria-sort="descending"], thead th[aria-sort="ascending"]').allTextContents()).map((t) => t.trim()),
    headers: await headers(),
    ticked: await table().locator('tbody input[type="checkbox"]:checked').count(),
    compare: (await page.locator('[data-shortcut="compare"]').textContent())?.trim(),
  };
}

describe('the runs table view', () => {
  it('shows by default the parameters that differ, a project column in "All projects", and fits 1440 px without scrolling sideways', async () => {
    await expect.poll(async () => count().textContent()).toBe(`${TOTAL} of ${TOTAL} runs`);
    const shown = await headers();
    expect(shown.slice(0, 3)).toEqual(['Select', 'Run', 'Project']);
    for (const h of ['Status', 'eval_loss.min', 'lr', 'rank', 'seed', 'Started', 'Tags', 'Notes']) expect(shown).toContain(h);
    // alpha: 41 of 44 runs have none; steps and synthetic: the same in every run; one recipe, one host.
    for (const h of ['alpha', 'steps', 'synthetic', 'Recipe', 'Host']) expect(shown).not.toContain(h);
    const overflow = await page.evaluate(() => {
      const scroller = document.querySelector('.table-scroll')!;
      const main = document.querySelector('main')!;
      return { table: scroller.scrollWidth - scroller.clientWidth, page: main.scrollWidth - main.clientWidth };
    });
    expect(overflow).toEqual({ table: 0, page: 0 });
    await shot('runs-view-1440-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('runs-view-1440-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    // One project's runs: no project column.
    await page.getByLabel('Project').selectOption({ label: 'vision' });
    await expect.poll(async () => count().textContent()).toBe('4 of 4 runs');
    expect(await headers()).not.toContain('Project');
    await page.getByLabel('Project').selectOption({ label: 'All projects' });
    await expect.poll(async () => count().textContent()).toBe(`${TOTAL} of ${TOTAL} runs`);
  });

  it('keeps the header and the run column in place while the rows scroll down and sideways', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    const scroller = page.locator('.table-scroll');
    try {
      const box = (await scroller.boundingBox())!;
      const header = table().locator('thead th').nth(3);
      const headerTop = (await header.boundingBox())!.y;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, 400);
      await expect.poll(async () => scroller.evaluate((e) => e.scrollTop)).toBeGreaterThan(300);
      expect((await header.boundingBox())!.y).toBeCloseTo(headerTop, 0);
      // Sideways: the run's name stays at the left while the other cells slide under it.
      const row = rows().nth(12);
      const runCell = row.locator('td.run-col');
      const statusCell = row.locator('td').nth(3);
      const before = { run: (await runCell.boundingBox())!.x, other: (await statusCell.boundingBox())!.x };
      await page.keyboard.down('Shift');
      await page.mouse.wheel(0, 300);
      await page.keyboard.up('Shift');
      await expect.poll(async () => scroller.evaluate((e) => e.scrollLeft)).toBeGreaterThan(50);
      expect((await runCell.boundingBox())!.x).toBeCloseTo(before.run, 0);
      expect((await statusCell.boundingBox())!.x).toBeLessThan(before.other - 50);
      await shot('runs-view-1024-scrolled-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot('runs-view-1024-scrolled-dark');
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
      await scroller.evaluate((e) => e.scrollTo(0, 0));
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it('names each run beside its id, renamed inline or with `tunebench run rename`, and filters and sorts on the name', async () => {
    await expect.poll(async () => rows().first().getAttribute('data-index')).toBe('0');
    const id = (await rows().first().locator('td.run-col a').getAttribute('title'))!;
    // The row by its run, not its place: the table may still be redrawing after the last test's scrolling.
    const first = table().locator(`tbody tr:has(a[title="${id}"])`);
    const link = first.locator('td.run-col a');
    expect(await link.textContent()).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(await first.locator('td.run-col').textContent()).toContain(id.slice(-8));
    await first.hover();
    await first.getByRole('button', { name: `Edit name of ${id}` }).click();
    const field = page.getByLabel(`Name of ${id}`);
    await field.fill('');
    await page.keyboard.type('warmup-baseline');
    await page.keyboard.press('Enter');
    await expect.poll(async () => table().getByRole('link', { name: 'warmup-baseline' }).getAttribute('title')).toBe(id);
    // The CLI renames another; a reload shows it.
    const other = (await rows().nth(1).locator('td.run-col a').getAttribute('title'))!;
    expect(ok(['run', 'rename', other, 'lr-sweep-best']).stdout).toContain('lr-sweep-best');
    await page.reload();
    await expect.poll(async () => table().getByRole('link', { name: 'lr-sweep-best' }).getAttribute('title')).toBe(other);
    await filterBox().fill('name ~ "warmup"');
    await expect.poll(async () => count().textContent()).toBe(`1 of ${TOTAL} runs`);
    expect(await rows().first().locator('td.run-col a').getAttribute('title')).toBe(id);
    await filterBox().fill('');
    await expect.poll(async () => count().textContent()).toBe(`${TOTAL} of ${TOTAL} runs`);
    // Sort by the run's name: descending first, then ascending.
    const runHeader = table().getByRole('button', { name: /^Run/ });
    await runHeader.click();
    await runHeader.click();
    await expect.poll(async () => table().locator('thead th[aria-sort="ascending"]').textContent()).toMatch(/^Run/);
    const names = await rows().locator('td.run-col a').allTextContents();
    expect(names.length).toBeGreaterThan(5);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    await table()
      .getByRole('button', { name: /^Started/ })
      .click(); // back to newest first
  });

  it('says a typo in a value is one, naming the allowed values, instead of showing no runs', async () => {
    await filterBox().fill('status = sucessful');
    const alert = page.getByRole('alert');
    await expect.poll(async () => alert.textContent()).toContain('"sucessful" is not a status. Did you mean "succeeded"?');
    expect(await alert.textContent()).toContain('one of: queued, starting, pending, running, preempted, requeued, cancelling, succeeded, failed, cancelled, lost');
    await filterBox().fill('lr < 1 and host = locl');
    await expect.poll(async () => alert.textContent()).toMatch(/"locl" is not a host\. Did you mean "local"\?/);
    await shot('runs-view-typo-light');
    await filterBox().fill('status = succeeded');
    await expect.poll(async () => page.getByRole('alert').count()).toBe(0);
    await expect.poll(async () => count().textContent()).toBe(`${TOTAL} of ${TOTAL} runs`);
    await filterBox().fill('');
  });

  it('keeps filter, sort, columns and selection in the address: back from a run, forward, reload, the sidebar and a shared link show them', async () => {
    await filterBox().fill('lr >= 2e-4');
    await expect.poll(async () => count().textContent()).not.toBe(`${TOTAL} of ${TOTAL} runs`);
    await table().getByRole('button', { name: /^rank/ }).click(); // descending
    await page.getByRole('button', { name: 'Columns', exact: true }).click();
    await page.getByLabel('Search columns').fill('alph');
    await page.getByRole('group', { name: 'Columns' }).getByLabel('alpha').check();
    await page.keyboard.press('Escape');
    await rows().nth(0).getByRole('checkbox').check();
    await rows().nth(2).getByRole('checkbox').check();
    const view = await shownView();
    expect(view).toMatchObject({ filter: 'lr >= 2e-4', sorted: ['rank ▼'], ticked: 2, compare: 'Compare (2)' });
    expect(view.headers).toContain('alpha');
    await expect.poll(() => decodeURIComponent(page.url().replace(/\+/g, ' '))).toContain('filter=lr >= 2e-4');
    const link = page.url();
    expect(link).toMatch(/sort=-params\.rank/);
    expect(link).toMatch(/column=params\.alpha/);
    expect(link).toMatch(/selected=[0-9A-Z]{26}%2C[0-9A-Z]{26}|selected=[0-9A-Z]{26},[0-9A-Z]{26}/);

    const opened = (await rows().nth(1).locator('td.run-col a').getAttribute('title'))!;
    await rows().nth(1).locator('td.run-col a').click();
    await expect.poll(() => page.url()).toContain(`#/runs/${opened}`);
    await page.goBack();
    expect(await shownView()).toEqual(view);
    await page.goForward();
    await expect.poll(() => page.url()).toContain(`#/runs/${opened}`);
    await page.goBack();
    expect(await shownView()).toEqual(view);
    await page.reload();
    expect(await shownView()).toEqual(view);
    // The sidebar's plain "Runs" link comes back to the same view.
    await rows().nth(1).locator('td.run-col a').click();
    await expect.poll(() => page.url()).toContain(`#/runs/${opened}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
    expect(await shownView()).toEqual(view);
    expect(page.url()).toBe(link);
    // A link reproduces the view in another tab (of the same browser: the page load's cookie admits it).
    const fresh = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    fresh.setDefaultTimeout(10_000);
    await fresh.goto(served.url);
    const current = page;
    page = fresh;
    await fresh.goto(link);
    expect(await shownView()).toEqual(view);
    await fresh.context().close();
    page = current;
    // An old link without a view still opens the table.
    await page.goto(`${served.origin}/#/runs`);
    await table().waitFor();
  }, 60_000);

  it('shows the whole tag list while typing it, and a column picker with search and groups that closes on Escape or a click outside', async () => {
    await filterBox().fill('');
    await page.getByRole('button', { name: 'Columns', exact: true }).click();
    await page.getByRole('button', { name: 'Default columns' }).click();
    await page.keyboard.press('Escape');
    await expect.poll(async () => count().textContent()).toBe(`${TOTAL} of ${TOTAL} runs`);
    const first = rows().first();
    const id = (await first.locator('td.run-col a').getAttribute('title'))!;
    await first.getByRole('button', { name: /Edit tags/ }).click();
    const typed = 'golden, baseline, sweep-3, lr-warmup';
    await page.keyboard.type(typed);
    const field = page.getByLabel(`Tags of ${id}`);
    expect(await field.inputValue()).toBe(typed);
    // Every character typed is in view: the field is as wide as its text.
    const fits = await field.evaluate((e: HTMLInputElement) => e.scrollWidth <= e.clientWidth && e.clientWidth > 200);
    expect(fits).toBe(true);
    // ... without widening the table, which would scroll it sideways under the editor.
    // (Polled: on a loaded machine one full-suite run read a 2 px overflow once, never seen when run alone.)
    await expect.poll(() => page.locator('.table-scroll').evaluate((e) => [e.scrollLeft, e.scrollWidth - e.clientWidth]), { timeout: 3000 }).toEqual([0, 0]);
    await shot('runs-view-tag-editor-light');
    await page.keyboard.press('Enter');
    // Saved: the cell shows two chips and "+2" (it keeps its width); the whole list is its title.
    await expect.poll(async () => first.locator('.tag-chips').getAttribute('title')).toBe('golden, baseline, sweep-3, lr-warmup');
    expect(await first.locator('.badge').allTextContents()).toEqual(['golden', 'baseline', '+2']);

    const button = page.getByRole('button', { name: 'Columns', exact: true });
    await button.click();
    const menu = page.getByRole('group', { name: 'Columns' });
    expect(await menu.locator('legend').allTextContents()).toEqual(['Fields', 'Metrics', 'Parameters']);
    await expect.poll(async () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search columns');
    await page.keyboard.type('eval');
    await expect.poll(async () => menu.locator('legend').allTextContents()).toEqual(['Metrics']);
    expect(await menu.getByRole('checkbox').evaluateAll((boxes) => boxes.map((b) => b.parentElement!.textContent))).toEqual(['eval_loss.min', 'eval_loss.max', 'eval_loss.last']);
    await shot('runs-view-column-picker-light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('runs-view-column-picker-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.keyboard.press('Escape');
    await expect.poll(async () => menu.count()).toBe(0);
    expect(await button.evaluate((b) => b === document.activeElement)).toBe(true);
    await button.click();
    await menu.waitFor();
    await page.getByRole('heading', { name: 'Runs', level: 1 }).click();
    await expect.poll(async () => menu.count()).toBe(0);
  });

  it('makes the rows one Tab stop: arrows move between rows, Space selects, Enter opens', async () => {
    const ticked = table().locator('tbody input[type="checkbox"]:checked');
    while ((await ticked.count()) > 0) await ticked.first().uncheck();
    await expect.poll(async () => page.locator('[data-shortcut="compare"]').textContent()).toBe('Compare');
    await filterBox().click();
    let presses = 0;
    const focusedRow = () => page.evaluate(() => (document.activeElement?.tagName === 'TR' ? Number(document.activeElement.getAttribute('data-index')) : null));
    while ((await focusedRow()) === null && presses < 30) {
      await page.keyboard.press('Tab');
      presses++;
    }
    // The row last used (the unticking clicked in row 3) is the table's Tab stop.
    const start = await focusedRow();
    expect(start).not.toBeNull();
    // One more Tab leaves the table: no checkbox, link or editor of a row is a Tab stop of its own.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('table[aria-label="Runs"] tbody'))).toBe(false);
    await page.keyboard.press('Shift+Tab');
    expect(await focusedRow()).toBe(start);
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focusedRow()).toBe(2);
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Space');
    await expect.poll(async () => page.locator('[data-shortcut="compare"]').textContent()).toBe('Compare (2)');
    expect(await rows().nth(2).getByRole('checkbox').isChecked()).toBe(true);
    expect(await rows().nth(3).getByRole('checkbox').isChecked()).toBe(true);
    await page.keyboard.press('End');
    await expect.poll(focusedRow).toBe(TOTAL - 1);
    await shot('runs-view-keyboard-light');
    await page.keyboard.press('Home');
    await expect.poll(focusedRow).toBe(0);
    await page.keyboard.press('ArrowDown');
    const id = await page.evaluate(() => document.activeElement!.querySelector('td.run-col a')!.getAttribute('title'));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain(`#/runs/${id}`);
    await page.goBack();
    await expect.poll(async () => page.locator('[data-shortcut="compare"]').textContent()).toBe('Compare (2)');
  });
});
