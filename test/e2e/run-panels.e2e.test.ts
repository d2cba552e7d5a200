// The run page charts every metric a run logs, grouped by prefix (train/, eval/, and others by their
// own prefix), finds them by search, and keeps the panels the user hides and moves for the project's
// runs across reloads.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-run-panels-');

beforeAll(async () => {
  expect(cli(['project', 'create', 'panels'], { dataDir }).code).toBe(0);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const figures = (group: string) =>
  page
    .getByRole('region', { name: `${group} charts` })
    .getByRole('figure')
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));

describe('run page charts', () => {
  it('charts every logged metric by prefix, finds them by search, and remembers the arrangement', { timeout: 90_000 }, async () => {
    const program = "import tunebench; [tunebench.log({'loss': 1.0 / i, 'train/acc': i / 50, 'eval/bleu': 0.1 * i, 'probe/entropy': 2.0 - i / 40}, step=i) for i in range(1, 51)]";
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
    await page.getByRole('button', { name: 'Launch run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch run' });
    await dialog.getByLabel('Host', { exact: true }).selectOption('local');
    await dialog.getByLabel('Recipe', { exact: true }).selectOption('custom');
    await dialog.getByLabel('command', { exact: true }).fill(`python3 -c "${program}"`);
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await page.getByText('200 metric points', { exact: false }).waitFor({ timeout: 45_000 });
    await expect.poll(() => figures('train'), { timeout: 15_000 }).toEqual(['Loss chart', 'train/acc chart']);
    expect(await figures('eval')).toEqual(['eval/bleu chart']);
    expect(await figures('probe')).toEqual(['probe/entropy chart']);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'run-panels-light.png'), fullPage: true });

    // Search narrows the charts to those whose metric matches.
    await page.getByLabel('Search metrics').fill('bleu');
    await expect.poll(() => page.getByRole('region', { name: 'Charts' }).getByRole('figure').count()).toBe(1);
    await page.getByLabel('Search metrics').fill('');

    // Hide one, move another first; a reload keeps both.
    await page.getByRole('button', { name: 'Hide the probe/entropy chart' }).click();
    await page.getByRole('button', { name: 'Move the train/acc chart earlier' }).click();
    await expect.poll(() => figures('train')).toEqual(['train/acc chart', 'Loss chart']);
    await page.reload();
    await expect.poll(() => figures('train'), { timeout: 15_000 }).toEqual(['train/acc chart', 'Loss chart']);
    expect(await page.getByRole('region', { name: 'probe charts' }).count()).toBe(0);
    await page.getByText('(1 hidden)').waitFor();
    await page.getByRole('button', { name: 'Show all charts' }).click();
    await expect.poll(() => figures('probe')).toEqual(['probe/entropy chart']);
  });
});
