// A person starts an ASHA sweep from the form, watches trials start and stop on the sweep page, and
// keeps the best trial's configuration as the project's recipe. The trials really run (demo-lora-stdlib
// on this machine), with the scheduler beside them.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

const dataDir = tempDir('tb-e2e-sweeps-');
const shots = path.join(ROOT, SCREENSHOT_DIR);
let browser: Browser;
let served: Served;
let page: Page;

function ok(args: string[]) {
  const r = cli(args, { dataDir });
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  ok(['project', 'create', 'search']);
  ok(['project', 'set-objective', 'search', '--metric', 'eval_loss', '--goal', 'minimize']);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('a sweep from the UI', () => {
  it('is started from the form, shows trials starting and stopping, and saves the best as the recipe', async () => {
    await page.goto(`${served.url}#/sweeps`);
    await page.getByRole('heading', { name: 'No sweeps yet' }).waitFor();
    await page.getByRole('button', { name: 'New sweep' }).click();
    const dialog = page.getByRole('dialog', { name: 'New sweep' });
    await dialog.getByLabel('Project').selectOption('search');
    await dialog.getByLabel('Host').selectOption('local');
    await dialog.getByLabel('Recipe').selectOption('demo-lora-stdlib');
    await dialog.getByLabel('Trials').fill('8');
    await dialog.getByLabel('At a time').fill('4');
    await dialog.getByLabel('Search space').fill('lr: {loguniform: [0.05, 20.0]}\nrank: {choice: [2, 4]}\neval_every: 10\nsleep_per_step: 0.02\nseed: 3');
    // A number typed wrong is said beside its field, in words, with the focus there.
    await dialog.getByLabel('Reduction factor (eta)').fill('three');
    await dialog.getByLabel('At a time').fill('2.5');
    await dialog.getByRole('button', { name: 'Start sweep' }).click();
    const eta = dialog.getByLabel('Reduction factor (eta)');
    await expect.poll(() => eta.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.getByRole('alert').allTextContents()).toEqual(['The reduction factor must be a whole number, 2 or more.', 'At a time must be a whole number, 1 or more.']);
    await expect.poll(() => eta.evaluate((el) => el === document.activeElement)).toBe(true);
    await eta.fill('3');
    await dialog.getByLabel('At a time').fill('4');
    // A wrong parameter name is refused with the engine's words, beside the search space.
    await dialog.getByLabel('Search space').fill('lr: {loguniform: [0.05, 20.0]}\nrnak: {choice: [2, 4]}');
    await dialog.getByRole('button', { name: 'Start sweep' }).click();
    await dialog
      .locator('.field.has-error', { has: page.getByLabel('Search space') })
      .getByText(/params\.rnak: demo-lora-stdlib has no parameter "rnak"/)
      .waitFor();
    await expect.poll(() => dialog.getByLabel('Search space').evaluate((el) => el === document.activeElement)).toBe(true);
    await dialog.getByLabel('Search space').fill('lr: {loguniform: [0.05, 20.0]}\nrank: {choice: [2, 4]}\neval_every: 10\nsleep_per_step: 0.02\nseed: 3');
    await page.screenshot({ path: path.join(shots, 'sweep-form-1440.png') });
    await dialog.getByRole('button', { name: 'Start sweep' }).click();

    // The sweep page: trials start, and ASHA stops some at a rung, saying why.
    await page.getByRole('heading', { name: /^Sweep / }).waitFor();
    const trials = page.getByRole('region', { name: 'Trials' });
    await trials.getByText('running').first().waitFor({ timeout: 60_000 });
    await trials.getByText('stopped early').first().waitFor({ timeout: 120_000 });
    await expect.poll(() => trials.locator('td.why', { hasText: /^stopped at rung \d: [\d.e+-]+ not in the top 1\/3 \([\d.e+-]+\)$/ }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByRole('region', { name: 'Rungs' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'sweep-running-1440.png') });

    // It ends by itself, names the best trial, and keeps it as the project's recipe.
    await page.locator('.status-finished').waitFor({ timeout: 180_000 });
    await page.getByText(/^Best: trial \d+ with eval_loss /).waitFor();
    await page.getByRole('button', { name: "Save best as the project's recipe" }).click();
    await page.getByText(/search now reuses demo-lora-stdlib with the parameters of the best trial/).waitFor();
    const sweeps = JSON.parse(ok(['sweep', 'list', '--json']).stdout) as { id: string; best: { runId: string } }[];
    const project = JSON.parse(ok(['project', 'show', 'search', '--json']).stdout) as { recipe: { fromRunId: string } };
    expect(project.recipe.fromRunId).toBe(sweeps[0]!.best.runId);
    // The page scrolls inside its main area: the top, then the charts, in both themes.
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.getByRole('heading', { name: /^Sweep / }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `sweep-done-1440-${scheme}.png`) });
      await page.getByRole('region', { name: 'Objective over trials' }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `sweep-charts-1440-${scheme}.png`) });
    }
    await page.emulateMedia({ colorScheme: 'light' });
  }, 400_000);
});
