// The first screen of an empty data directory: it offers the demo data (loaded through the engine's
// `demo seed`) and help on getting started, and goes away once there is a project.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-first-run-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the first screen of an empty data directory', () => {
  it('links to help on getting started, which opens in the app and closes with Escape', async () => {
    await page.getByRole('heading', { name: 'Welcome to Tunebench' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'first-run-light.png') });
    await page.getByRole('link', { name: 'Read how to get started' }).click();
    const help = page.getByRole('dialog', { name: 'Getting started' });
    await help.getByRole('heading', { name: /Quick start/ }).waitFor();
    expect(await help.textContent()).toContain('npx tunebench demo seed');
    await page.screenshot({ path: path.join(shots, 'first-run-help-light.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => help.count()).toBe(0);
  });

  it('loads the demo data and opens the demo project with its runs', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Load demo data' }).click();
    await page.getByRole('heading', { name: 'demo', level: 1 }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByRole('table', { name: 'Project runs' }).locator('tbody tr').count(), { timeout: 10_000 }).toBe(12);
    const runs = cli(['run', 'list', '--project', 'demo', '--json'], { dataDir }).json();
    expect(runs).toHaveLength(12);
    expect(runs.every((r: { status: string }) => r.status === 'SUCCEEDED')).toBe(true);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'first-run-demo-loaded-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('shows the projects list, not the welcome, once there is a project', async () => {
    await page.getByRole('link', { name: '← Projects' }).click();
    await page.getByRole('table', { name: 'Projects' }).getByRole('link', { name: 'demo', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('table', { name: 'Projects' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Welcome to Tunebench' }).count()).toBe(0);
  });
});
