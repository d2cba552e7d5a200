// The run page as a person uses it: when a run ended and how long it took, what a failed run died of,
// relaunching it (changed or as it was), saving its recipe, and demo runs that have no host.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let seededRun: string;
const dataDir = tempDir('tb-e2e-run-page-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

/** The value beside a label of the run's details. */
const detail = (label: string): Locator => page.locator('dl.meta > dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');
const runIdInUrl = () => /#\/runs\/([0-9A-Z]{26})/.exec(page.url())?.[1];

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  expect(cli(['project', 'create', 'relaunch-me'], { dataDir }).code).toBe(0);
  expect(cli(['demo', 'seed', '--project', 'seeded', '--runs', '2', '--points', '300'], { dataDir }).code).toBe(0);
  seededRun = cli(['run', 'list', '--project', 'seeded', '--json'], { dataDir }).json()[0].id;
  // A record that says its host could not be reached (as a failed sync leaves it): a demo run has no
  // host, and a finished run is not followed, so neither is ever shown as unreachable.
  const db = new Database(path.join(dataDir, 'tunebench.db'));
  db.prepare('UPDATE runs SET disconnected = 1').run();
  db.close();
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

describe('the run page', () => {
  it('shows a demo run without a host: never unreachable, its end and duration, and says its log is empty', { timeout: 30_000 }, async () => {
    await page.goto(`${served.origin}/#/runs/${seededRun}`);
    await detail('Host').filter({ hasText: 'none: a demo run' }).waitFor();
    await page.locator('.status', { hasText: 'succeeded' }).first().waitFor();
    expect(await page.getByText('host unreachable').count()).toBe(0);
    expect(await detail('Ended').textContent()).not.toContain('not yet');
    expect(await detail('Ended').locator('.run-duration').textContent()).toBe('50 min 0 s'); // demo seed ends each run 3,000 s after its start
    await page.getByRole('status').filter({ hasText: 'This log is empty' }).waitFor();
    // A finished log does not grow: nothing to follow or pause.
    expect(await page.getByRole('button', { name: /^(Pause|Follow)$/ }).count()).toBe(0);
    await page.screenshot({ path: path.join(shots, 'run-page-demo-light.png') });
  });

  it("shows a failed run's exception on its marker, and relaunches it with a changed parameter", { timeout: 90_000 }, async () => {
    await page.goto(`${served.origin}/#/runs`);
    await page.getByRole('button', { name: 'Launch run' }).click();
    const launch = page.getByRole('dialog', { name: 'Launch run' });
    await launch.getByLabel('Project', { exact: true }).selectOption({ label: 'relaunch-me' });
    await launch.getByLabel('Host', { exact: true }).selectOption('local');
    await launch.getByLabel('Recipe', { exact: true }).selectOption('custom');
    const failing = `python3 -c "raise ValueError('learning rate must be positive, got -0.1')"`;
    await launch.getByLabel('command', { exact: true }).fill(failing);
    await launch.getByRole('button', { name: 'Launch' }).click();
    await page.locator('.status', { hasText: 'failed' }).first().waitFor({ timeout: 40_000 });
    const failed = runIdInUrl()!;
    const markers = page.getByRole('region', { name: 'Markers' });
    await markers.getByText('ValueError: learning rate must be positive, got -0.1').waitFor({ timeout: 10_000 });
    expect(await markers.textContent()).not.toContain('most recent call last');
    await page.screenshot({ path: path.join(shots, 'run-page-failed-light.png') });

    await page.getByRole('button', { name: 'Relaunch…' }).click();
    const relaunch = page.getByRole('dialog', { name: `Relaunch ${failed}` });
    expect(await relaunch.getByLabel('command', { exact: true }).inputValue()).toBe(failing);
    expect(await relaunch.getByLabel('Host', { exact: true }).inputValue()).toBe('local');
    await relaunch.getByLabel('command', { exact: true }).fill(`python3 -c "print('lr fixed')"`);
    await page.screenshot({ path: path.join(shots, 'run-page-relaunch-light.png') });
    await relaunch.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(runIdInUrl, { timeout: 20_000 }).not.toBe(failed);
    await page.locator('.status', { hasText: 'succeeded' }).first().waitFor({ timeout: 40_000 });
    expect(await detail('Parameters').textContent()).toContain(`command=python3 -c "print('lr fixed')"`);
    expect(await detail('Ended').textContent()).toMatch(/ · took (\d+ s|\d+ min \d+ s)$/);
    expect(await page.getByRole('button', { name: /^(Pause|Follow)$/ }).count()).toBe(0);
  });

  it('relaunches a run as it was, and says the recipe was saved', { timeout: 90_000 }, async () => {
    const first = runIdInUrl()!;
    await page.getByRole('button', { name: 'Relaunch…' }).click();
    await page
      .getByRole('dialog', { name: `Relaunch ${first}` })
      .getByRole('button', { name: 'Launch' })
      .click();
    await expect.poll(runIdInUrl, { timeout: 20_000 }).not.toBe(first);
    await page.locator('.status', { hasText: 'succeeded' }).first().waitFor({ timeout: 40_000 });
    const again = cli(['run', 'show', runIdInUrl()!, '--json'], { dataDir }).json();
    expect(again.params).toEqual({ command: `python3 -c "print('lr fixed')"` });

    await page.getByRole('button', { name: 'Save as project recipe' }).click();
    await page
      .getByRole('region', { name: 'Notifications' })
      .getByText(/Saved: relaunch-me now reuses this run's recipe \(custom\)/)
      .waitFor();
    await page.getByRole('button', { name: 'Saved as project recipe ✓' }).waitFor();
    expect(cli(['project', 'show', 'relaunch-me', '--json'], { dataDir }).json().recipe).toMatchObject({ name: 'custom', fromRunId: runIdInUrl() });
    await page.screenshot({ path: path.join(shots, 'run-page-recipe-saved-light.png') });
  });
});
