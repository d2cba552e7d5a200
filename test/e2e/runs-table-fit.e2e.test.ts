// The runs table keeps to the window: with several long tags, long names and long notes on the runs, the
// default columns fit at 1440x900 without sideways scrolling; at 1024x700 only the table itself may scroll
// sideways (never the page), and its run column stays where it is while the rest slides under it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let runIds: string[];
const dataDir = tempDir('tb-e2e-table-fit-');
const shots = path.join(ROOT, SCREENSHOT_DIR);
const LONG_TAGS = ['baseline-before-tokenizer-change', 'ablation-without-warmup-schedule', 'needs-review-by-the-eval-team', 'golden', 'candidate-for-production-2026-q4'];

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const seeded = cli(['demo', 'seed', '--runs', '14', '--points', '20', '--json'], { dataDir });
  expect(seeded.code, seeded.stderr).toBe(0);
  runIds = seeded.json().runIds;
  // Several runs with many long tags, long names and long notes: what made the table scroll sideways.
  for (const [i, id] of runIds.slice(0, 8).entries()) {
    const tags = i % 2 ? LONG_TAGS : LONG_TAGS.slice(0, 3).map((t) => `${t}-${i}`);
    const r = cli(['run', 'annotate', id, '--tags', tags.join(','), '--name', `a rather long human readable run name number ${i} for the sweep`, '--notes', 'x '.repeat(200)], { dataDir });
    expect(r.code, r.stderr).toBe(0);
  }
  // Many parameters that vary, some with long values (a hub id, a dataset path): each may take a column.
  const db = new Database(path.join(dataDir, 'tunebench.db'));
  const update = db.prepare("UPDATE runs SET params = json_set(params, '$.base_model', ?, '$.dataset', ?, '$.warmup_ratio', ?, '$.lora_dropout', ?, '$.max_seq_length', ?) WHERE id = ?");
  runIds.forEach((id, i) =>
    update.run(`meta-llama/Llama-3.1-${8 + i}B-Instruct-with-a-long-suffix`, `/data/shared/datasets/support-tickets/v${i}/train-cleaned.jsonl`, 0.01 * i, 0.05 * (i % 3), 512 * (1 + (i % 4)), id),
  );
  db.close();
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${served.url}#/runs`);
  await page.getByRole('table', { name: 'Runs' }).locator('tbody tr[data-index]').first().waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/** How far the table's scroller and the page reach past their right edges (0 or less: nothing hidden). */
const overflow = () =>
  page.evaluate(() => {
    const box = document.querySelector('.table-scroll')!;
    return { table: box.scrollWidth - box.clientWidth, page: document.scrollingElement!.scrollWidth - window.innerWidth };
  });

async function look(width: number, height: number, scheme: 'light' | 'dark') {
  await page.emulateMedia({ colorScheme: scheme });
  await page.setViewportSize({ width, height });
  // The default columns are chosen for the table's width: after a resize, wait until they have settled.
  await page.waitForFunction(() => document.querySelector('.table-scroll tbody tr[data-index] td') !== null);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: path.join(shots, `runs-table-fit-${width}-${scheme}.png`) });
}

describe('the runs table at the window sizes people use', () => {
  it('fits the default columns at 1440x900 with many long tags, in both themes', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await look(1440, 900, scheme);
      await expect.poll(overflow).toEqual({ table: expect.any(Number), page: expect.any(Number) });
      const o = await overflow();
      expect(o.table, `${scheme}: the table scrolls sideways by ${o.table}px`).toBeLessThanOrEqual(0);
      expect(o.page, `${scheme}: the page scrolls sideways by ${o.page}px`).toBeLessThanOrEqual(0);
    }
    const headers = await page.getByRole('table', { name: 'Runs' }).locator('thead th').allTextContents();
    expect(headers.join('|')).toMatch(/Tags/);
  });

  it('fits at 1440x900 in one project too, where the parameters that vary take the room the project column left', async () => {
    await page.goto(`${served.url}#/runs`);
    await page.getByRole('combobox', { name: 'Project', exact: true }).selectOption({ label: 'demo' });
    await look(1440, 900, 'light');
    const headers = await page.getByRole('table', { name: 'Runs' }).locator('thead th').allTextContents();
    expect(
      headers.some((h) => /base_model|dataset|lr|rank|seed|warmup_ratio|lora_dropout|max_seq_length/.test(h)),
      headers.join('|'),
    ).toBe(true);
    const o = await overflow();
    expect(o, headers.join('|')).toEqual({ table: expect.any(Number), page: expect.any(Number) });
    expect(o.table, `the table scrolls sideways by ${o.table}px with ${headers.join('|')}`).toBeLessThanOrEqual(0);
    expect(o.page).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(shots, 'runs-table-fit-1440-project.png') });
    // A long value is cut with an ellipsis, and the whole of it is its title.
    const long = page.locator('.table-scroll tbody .cell-text[title*="/data/shared/datasets"], .table-scroll tbody .cell-text[title*="meta-llama"]').first();
    if (await long.count()) expect(await long.evaluate((el) => getComputedStyle(el).textOverflow)).toBe('ellipsis');
    await page.goto(`${served.url}#/runs`);
  });

  it('shows at most two tag chips then "+k", each cut with an ellipsis, with every tag in the title and the editor', async () => {
    await look(1440, 900, 'light');
    const row = page.getByRole('row', { name: new RegExp(runIds[1]!) });
    const cell = row.locator('.tag-chips');
    await cell.waitFor();
    expect(await cell.locator('.tag-chip').count()).toBe(2);
    expect(await cell.locator('.tag-more').textContent()).toBe('+3');
    expect(await cell.getAttribute('title')).toBe(LONG_TAGS.join(', '));
    // A long chip is cut inside its own box (not spilling over the next cell).
    const chip = await cell
      .locator('.tag-chip')
      .first()
      .evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, ellipsis: getComputedStyle(el).textOverflow }));
    expect(chip).toEqual({ cut: true, ellipsis: 'ellipsis' });
    const td = cell.locator('xpath=ancestor::td[1]');
    const [cellBox, tdBox] = await Promise.all([cell.boundingBox(), td.boundingBox()]);
    expect(cellBox!.x + cellBox!.width).toBeLessThanOrEqual(tdBox!.x + tdBox!.width + 0.5);
    // The whole list is still what the editor starts from.
    await row.getByRole('button', { name: /Edit tags/ }).click();
    expect(await row.getByRole('textbox', { name: /Tags of/ }).inputValue()).toBe(LONG_TAGS.join(', '));
    await page.keyboard.press('Escape');
  });

  it('at 1024x700 only the table scrolls sideways, never the page, and the run column stays put while it does', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await look(1024, 700, scheme);
      const o = await overflow();
      expect(o.page, `${scheme}: the page scrolls sideways by ${o.page}px`).toBeLessThanOrEqual(0);
    }
    // Chosen columns wider than the window (a link with many): the table scrolls, the run column sticks.
    const many = ['status', 'recipe', 'host', 'created', 'exit_code', 'params.lr', 'params.rank', 'params.seed', 'params.batch', 'tags', 'notes'];
    await page.goto(`${served.url}#/runs?${many.map((c) => `column=${c}`).join('&')}`);
    await page.locator('.table-scroll tbody tr[data-index="0"] td.run-col').waitFor();
    const runCell = page.locator('.table-scroll tbody tr[data-index="0"] td.run-col');
    const before = (await runCell.boundingBox())!.x;
    const o = await overflow();
    expect(o.table).toBeGreaterThan(0);
    expect(o.page).toBeLessThanOrEqual(0);
    await page.locator('.table-scroll').hover();
    await page.mouse.wheel(o.table, 0);
    await expect.poll(() => page.evaluate(() => document.querySelector('.table-scroll')!.scrollLeft)).toBeGreaterThan(0);
    expect((await runCell.boundingBox())!.x).toBeCloseTo(before, 0);
    await page.screenshot({ path: path.join(shots, 'runs-table-fit-1024-scrolled.png') });
    expect((await overflow()).page).toBeLessThanOrEqual(0);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('at 1024x700 in dark the column picker opens inside the window with nothing cut off', async () => {
    await page.goto(`${served.url}#/runs`);
    await look(1024, 700, 'dark');
    await page.getByRole('button', { name: 'Columns', exact: true }).click();
    const menu = page.getByRole('group', { name: 'Columns' });
    await menu.waitFor();
    const fit = await menu.evaluate((m) => {
      const r = m.getBoundingClientRect();
      const cut = [...m.querySelectorAll<HTMLElement>('label, legend, button, input[type="search"]')].filter(
        (el) => el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > r.right + 0.5,
      );
      return { inside: r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight, cut: cut.map((el) => el.textContent), sideways: m.scrollWidth - m.clientWidth };
    });
    await page.screenshot({ path: path.join(shots, 'runs-table-fit-columns-1024-dark.png') });
    expect(fit).toEqual({ inside: true, cut: [], sideways: 0 });
    await page.keyboard.press('Escape');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});
