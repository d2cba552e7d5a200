// The projects list and a project's page as a person uses them: how many runs each project has, its
// best objective value and last activity; a project's runs, launching one from its page, changing
// its objective; and an empty project that says it has no runs.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-project-page-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

/** The cells of a project's row in the projects list, by column header. */
async function rowCells(name: string): Promise<Record<string, string>> {
  const table = page.getByRole('table', { name: 'Projects' });
  const headers = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
  const row = table.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });
  const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
  return Object.fromEntries(headers.map((h, i) => [h, cells[i] ?? '']));
}
const detail = (label: string): Locator => page.locator('dl.meta > dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');

/** The lowest min (or highest max) of a metric over a project's runs, as the CLI's runs table reports it. */
function bestOf(project: string, metric: string, goal: 'min' | 'max'): number {
  const rows = cli(['run', 'list', '--project', project, '--sort', `${goal === 'min' ? '' : '-'}${metric}.${goal}`, '--json'], { dataDir }).json();
  return rows[0].summaries[metric][goal];
}

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  expect(cli(['demo', 'seed', '--runs', '3', '--points', '200'], { dataDir }).code).toBe(0);
  expect(cli(['project', 'create', 'empty-one'], { dataDir }).code).toBe(0);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('projects and a project page', () => {
  it('lists each project with its run count, best objective value and last activity', async () => {
    await page.getByRole('table', { name: 'Projects' }).waitFor();
    await expect.poll(async () => (await rowCells('demo'))['Runs']).toBe('3');
    const demo = await rowCells('demo');
    const best = bestOf('demo', 'eval_loss', 'min');
    expect(demo['Best objective']).toBe(`${Number(best.toPrecision(4))} eval_loss ↓`);
    expect(demo['Last activity']).toMatch(/\d{2}:\d{2}/);
    const empty = await rowCells('empty-one');
    expect(empty['Runs']).toBe('0');
    expect(empty['Best objective']).toBe('— eval_loss');
    await page.screenshot({ path: path.join(shots, 'projects-summaries-light.png') });
  });

  it("says an empty project's runs are none yet, with a launch button", async () => {
    await page.getByRole('link', { name: 'empty-one', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'This project has no runs yet.' }).waitFor();
    await page.getByRole('button', { name: 'Launch its first run' }).waitFor();
    await page.getByRole('link', { name: '← Projects' }).click();
  });

  it("shows a project's runs and launches one from its page into that project", { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'demo', exact: true }).click();
    const runs = page.getByRole('table', { name: 'Project runs' });
    await expect.poll(() => runs.locator('tbody tr').count()).toBe(3);
    // The best run comes from the project's summary, a request of its own that may answer after the rows.
    await expect.poll(() => runs.getByText('best', { exact: true }).count()).toBe(1);
    await page.screenshot({ path: path.join(shots, 'project-page-runs-light.png') });
    await page.getByRole('button', { name: 'Launch run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch run' });
    expect(await dialog.getByLabel('Project', { exact: true }).locator('option:checked').textContent()).toBe('demo');
    await dialog.getByLabel('Host', { exact: true }).selectOption('local');
    await dialog.getByLabel('Recipe', { exact: true }).selectOption('custom');
    await dialog.getByLabel('command', { exact: true }).fill('echo launched from the project page');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(() => page.url(), { timeout: 20_000 }).toMatch(/#\/runs\/[0-9A-Z]{26}$/);
    await page.locator('.status', { hasText: 'succeeded' }).first().waitFor({ timeout: 40_000 });
    expect(cli(['run', 'list', '--project', 'demo', '--json'], { dataDir }).json()).toHaveLength(4);
    await page.goBack();
    await expect.poll(() => runs.locator('tbody tr').count(), { timeout: 10_000 }).toBe(4);
  });

  it('changes the objective on the project page; the best value follows', { timeout: 30_000 }, async () => {
    await page.getByLabel('Objective metric', { exact: true }).fill('loss');
    await page.getByLabel('Goal', { exact: true }).selectOption('maximize');
    await page.getByRole('button', { name: 'Save objective' }).click();
    await page.getByRole('region', { name: 'Notifications' }).getByText('Best now means maximize loss.').waitFor();
    expect(cli(['project', 'show', 'demo', '--json'], { dataDir }).json().objective).toEqual({ metric: 'loss', goal: 'maximize' });
    const best = bestOf('demo', 'loss', 'max');
    await detail('Best loss')
      .filter({ hasText: String(Number(best.toPrecision(4))) })
      .waitFor();
    await page.getByRole('link', { name: '← Projects' }).click();
    await expect.poll(async () => (await rowCells('demo'))['Best objective']).toBe(`${Number(best.toPrecision(4))} loss ↑`);
    expect((await rowCells('demo'))['Runs']).toBe('4');
  });
});
