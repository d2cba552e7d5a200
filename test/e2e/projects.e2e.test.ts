// A person in Chromium (browser mode) and the CLI on the same data directory.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const listNames = (): string[] =>
  cli(['project', 'list', '--json'], { dataDir })
    .json()
    .map((p: { name: string }) => p.name);

describe('projects in the browser', () => {
  it('starts on an honest empty state with the engine connected', async () => {
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Connected' }).count()).toBe(1);
    await page.getByRole('heading', { name: 'Welcome to Tunebench' }).waitFor();
    await page.getByRole('button', { name: 'Load demo data' }).waitFor();
    expect(page.url()).not.toContain('token='); // traded for a cookie
  });

  it('creates a project in the UI that the CLI then lists', async () => {
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByLabel('Name').fill('llama-3 chat sft');
    await dialog.getByLabel('Base model').fill('meta-llama/Llama-3.1-8B');
    await dialog.getByLabel('Description').fill('Chat SFT on our support transcripts');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'llama-3 chat sft' }).waitFor();
    expect(listNames()).toEqual(['llama-3 chat sft']);
    const shown = cli(['project', 'show', 'llama-3 chat sft', '--json'], { dataDir }).json();
    expect(shown).toMatchObject({ baseModel: 'meta-llama/Llama-3.1-8B', description: 'Chat SFT on our support transcripts' });
  });

  it('shows a project the CLI created, without a reload', async () => {
    await page.getByRole('link', { name: '← Projects' }).click();
    expect(cli(['project', 'create', 'qwen-dpo', '--base-model', 'Qwen/Qwen2.5-7B'], { dataDir }).code).toBe(0);
    await page.getByRole('table', { name: 'Projects' }).getByRole('link', { name: 'qwen-dpo' }).waitFor({ timeout: 5000 });
  });

  it("shows the engine's message beside the field for a duplicate or empty name, and stores nothing", async () => {
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByLabel('Name').fill('QWEN-DPO');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'projects-new-error-light.png') });
    await dialog.getByLabel('Name').fill('   ');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'cannot be empty' }).waitFor();
    expect(await dialog.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(listNames().sort()).toEqual(['llama-3 chat sft', 'qwen-dpo']);
  });

  it('renames and edits details; the CLI sees the change', async () => {
    await page.getByRole('link', { name: 'qwen-dpo' }).click();
    await page.getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Project name').fill('qwen-dpo-v2');
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('heading', { name: 'qwen-dpo-v2' }).waitFor();
    await page.getByLabel('Description').fill('DPO on preference pairs, round two');
    await page.getByRole('button', { name: 'Save details' }).click();
    await expect.poll(() => cli(['project', 'show', 'qwen-dpo-v2', '--json'], { dataDir }).json().description).toBe('DPO on preference pairs, round two');
  });

  it('archives after confirmation; archived projects show only on request', async () => {
    await page.getByRole('button', { name: 'Archive' }).click();
    await page.getByRole('dialog', { name: 'Archive qwen-dpo-v2?' }).getByRole('button', { name: 'Archive project' }).click();
    await page.getByText('archived', { exact: true }).first().waitFor();
    await page.getByRole('link', { name: '← Projects' }).click();
    const table = page.getByRole('table', { name: 'Projects' });
    await expect.poll(() => table.getByRole('link', { name: 'qwen-dpo-v2' }).count()).toBe(0);
    await page.getByLabel(/Show archived/).check();
    await table.getByRole('link', { name: 'qwen-dpo-v2' }).waitFor();
    expect(listNames()).toEqual(['llama-3 chat sft']);
    expect(cli(['project', 'list', '--all', '--json'], { dataDir }).json()).toHaveLength(2);
  });

  it('says so when a linked project does not exist', async () => {
    await page.goto(`${served.origin}/#/projects/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    await page.getByRole('heading', { name: 'Project not found' }).waitFor();
  });

  it('has every page in both themes, each looked at in a screenshot', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const area of ['projects', 'hosts', 'runs', 'compare', 'reviews']) {
        await page.goto(`${served.origin}/#/${area}`);
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('link', { name: new RegExp(area, 'i') })
          .click();
        await page.getByRole('heading', { level: 1 }).waitFor();
        expect(await page.locator('nav a[aria-current="page"]').textContent()).toMatch(new RegExp(area, 'i'));
        await page.screenshot({ path: path.join(shots, `${area}-${scheme}.png`) });
      }
      await page.goto(`${served.origin}/#/projects`);
      await page.getByRole('link', { name: 'llama-3 chat sft' }).click();
      await page.getByRole('heading', { name: 'llama-3 chat sft' }).waitFor();
      await page.screenshot({ path: path.join(shots, `project-detail-${scheme}.png`) });
      await page.getByRole('link', { name: '← Projects' }).click();
      await page.getByRole('button', { name: 'New project' }).click();
      await page.screenshot({ path: path.join(shots, `projects-new-${scheme}.png`) });
      await page.keyboard.press('Escape');
    }
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(20, 23, 28)'); // the dark theme really applied
  });

  it('refuses a browser without the token', async () => {
    const fresh = await browser.newPage();
    const response = await fresh.goto(served.origin + '/');
    expect(response!.status()).toBe(401);
    expect(await fresh.textContent('body')).toContain('UNAUTHORIZED');
    await fresh.close();
  });

  it('shows the link as disconnected when the engine stops', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await served.stop()).toBe(0);
    await page.getByRole('status').filter({ hasText: 'Disconnected' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'disconnected-light.png') });
  });
});
