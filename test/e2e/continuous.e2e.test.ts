// A project's page shows its continuous training: datasets and versions, triggers added from the page,
// and each firing's history with why it fired and what happened, updated as the CLI adds a version.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

const dataDir = tempDir('tb-e2e-ct-');
const files = tempDir('tb-e2e-ct-files-');
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
  ok(['project', 'create', 'feedback']);
  fs.writeFileSync(path.join(files, 'v1.jsonl'), '{"instruction": "a", "response": "b"}\n');
  ok(['dataset', 'add', path.join(files, 'v1.jsonl'), '--project', 'feedback', '--name', 'train']);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe("a project's continuous training", () => {
  it('adds a trigger from the page, and shows the firing a new version caused and what became of it', async () => {
    const id = JSON.parse(ok(['project', 'show', 'feedback', '--json']).stdout).id as string;
    await page.goto(`${served.url}#/projects/${id}`);
    const card = page.getByRole('region', { name: 'Continuous training' });
    await card.getByRole('table', { name: 'Datasets' }).getByText('v1 · 1 lines', { exact: false }).waitFor();
    await card.getByText('No triggers yet.').waitFor();
    const form = card.getByRole('form', { name: 'Add a trigger' });
    await form.getByLabel('Fire').selectOption('dataset');
    await form.getByLabel('Dataset').selectOption('train');
    await form.getByLabel('Host').selectOption('local');
    await form.getByRole('button', { name: 'Add trigger' }).click();
    await card.getByRole('table', { name: 'Triggers' }).getByText('each new version of train').waitFor();
    // A schedule that is not one is refused in words, next to the form.
    await form.getByLabel('Fire').selectOption('schedule');
    await form.getByLabel('Schedule (cron)').fill('nightly');
    await form.getByRole('button', { name: 'Add trigger' }).click();
    await card
      .getByRole('alert')
      .getByText(/"nightly" is not a schedule/)
      .waitFor();

    // A new version from the CLI fires it; the app moves it along. The project has no saved recipe, so it fails and says why.
    fs.writeFileSync(path.join(files, 'v2.jsonl'), '{"instruction": "a", "response": "b"}\n{"instruction": "c", "response": "d"}\n');
    ok(['dataset', 'add', path.join(files, 'v2.jsonl'), '--project', 'feedback', '--name', 'train']);
    const history = card.getByRole('table', { name: 'Trigger history' });
    await history.getByText(/^new version 2 of train \(sha256 [0-9a-f]{12}…, 2 lines\)$/).waitFor({ timeout: 20_000 });
    await history.getByText('failed', { exact: true }).waitFor({ timeout: 20_000 });
    await history.getByText(/has no saved recipe to train again/).waitFor();
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'project-continuous-1440.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'project-continuous-1440-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  }, 120_000);
});
