// Compare with many runs picked: 80 ids once made a filter over the 2,000-character limit, and the page
// went blank without a word. Every run must be shown, and a failure must be said on the page.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { cli, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-compare-many-');
let ids: string[];

beforeAll(async () => {
  const seeded = cli(['demo', 'seed', '--runs', '80', '--points', '50', '--json'], { dataDir });
  expect(seeded.code, seeded.stderr).toBe(0);
  ids = seeded.json().runIds;
  expect(ids).toHaveLength(80);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('compare with 80 runs', () => {
  it('shows every picked run, in the order picked', async () => {
    const picked = [...ids].reverse(); // not the table's order: the page keeps the order of the pick
    await page.goto(`${served.origin}/#/compare/${picked.join(',')}`);
    const chips = page.getByRole('list', { name: 'Compared runs' }).getByRole('listitem');
    await expect.poll(() => chips.count(), { timeout: 10_000 }).toBe(80);
    expect(await chips.locator('.mono').allTextContents()).toEqual(picked.map((id) => id.slice(-8)));
    const chart = page.getByRole('figure', { name: 'loss comparison', exact: true }).locator('.chart-canvas');
    await expect.poll(() => chart.getAttribute('data-runs'), { timeout: 20_000 }).toBe('80');
    expect(await page.getByLabel('Baseline run').locator('option').count()).toBe(80);
    expect(await page.getByRole('alert').count()).toBe(0);
  });

  it('says on the page which picked runs it cannot show', async () => {
    const unknown = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    await page.goto(`${served.origin}/#/compare/${[...ids.slice(0, 70), unknown].join(',')}`);
    await page
      .getByRole('alert')
      .filter({ hasText: 'One picked run is not in the runs table' })
      .filter({ hasText: unknown.slice(-8) })
      .waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByRole('list', { name: 'Compared runs' }).getByRole('listitem').count()).toBe(70);
  });
});
