// A person adds a suite to a project (a bad file first), tests the production candidate from the
// project page, watches the report fill in, waives a regression, and finds the verdict on Reviews.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let runId: string;
const dataDir = tempDir('tb-e2e-reviews-');
const files = tempDir('tb-e2e-suites-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  expect(cli(['project', 'create', 'reviewed'], { dataDir }).code).toBe(0);
  expect(cli(['host', 'set', 'local', '--python', '/usr/bin/python3'], { dataDir }).code).toBe(0);
  const launched = cli(['run', 'launch', '--project', 'reviewed', '--host', 'local', '--recipe', 'demo-lora-torch', '--param', 'pretrain_steps=60', '--param', 'steps=20', '--json'], { dataDir });
  expect(launched.code, launched.stderr).toBe(0);
  runId = launched.json().id;
  const waited = cli(['run', 'wait', runId, '--timeout', '120'], { dataDir, timeoutMs: 130_000 });
  expect(waited.code, waited.stdout + waited.stderr).toBe(0);
  expect(cli(['candidate', 'propose', runId, '--reason', 'lowest eval loss'], { dataDir }).code).toBe(0);
  const spec = makeDemoSuite(24);
  fs.writeFileSync(path.join(files, 'demo.json'), JSON.stringify({ ...spec, cases: spec.cases.map(({ line: _line, ...c }) => c) }, null, 2));
  fs.writeFileSync(path.join(files, 'broken.yaml'), 'name: broken\nversion: 1\ncases:\n  - {id: a, kind: regex, input: q, expect: "(unclosed"}\n');
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('testing a candidate in the browser', () => {
  it("adds a suite from a file, and shows a bad file's line and case", { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'reviewed' }).click();
    const card = page.getByRole('region', { name: 'Test suites' });
    await card.getByLabel('Suite file').setInputFiles(path.join(files, 'broken.yaml'));
    await expect.poll(() => card.getByRole('alert').textContent()).toContain('broken.yaml:4 (case "a"): the regex does not compile');
    await card.getByLabel('Suite file').setInputFiles(path.join(files, 'demo.json'));
    await card.getByRole('table', { name: 'Test suites' }).getByText('demo@1').waitFor();
  });

  it('tests the candidate against the base model and shows the report as cases arrive', { timeout: 150_000 }, async () => {
    const candidates = page.getByRole('table', { name: 'Production candidates' });
    await candidates.getByRole('button', { name: 'Test against production…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Test against production' });
    await expect.poll(() => dialog.getByLabel('Suite').inputValue()).toBe('demo@1');
    // No production model yet: the base model is the baseline.
    expect(await dialog.getByLabel('Compare with').inputValue()).toBe('base');
    await dialog.getByRole('button', { name: 'Start test run' }).click();
    await page.locator('.page-header h1', { hasText: 'Test run' }).waitFor();
    // The report fills in while the runner works, then settles on a verdict once both models are done.
    await page.locator('.tb-report').getByText(/Gates/).first().waitFor({ timeout: 120_000 });
    await expect.poll(async () => (await page.locator('.page-header h1 .verdict').textContent()) ?? '', { timeout: 120_000, interval: 500 }).toMatch(/^(PASS|FAIL|INCONCLUSIVE)$/);
    const verdict = (await page.locator('.page-header h1 .verdict').textContent())!;
    const header = await page.locator('.tb-report').innerText();
    expect(header).toContain(verdict);
    expect(header).toContain('demo@1');
    await page.screenshot({ path: path.join(shots, 'test-run-light.png'), fullPage: false });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: path.join(shots, 'test-run-dark.png'), fullPage: false });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('lists the test run with its verdict on Reviews', { timeout: 30_000 }, async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Reviews/ })
      .click();
    const table = page.getByRole('table', { name: 'Test runs of reviewed' });
    await table.locator('.verdict').first().waitFor();
    expect(await table.locator('.verdict').first().textContent()).toMatch(/^(PASS|FAIL|INCONCLUSIVE)$/);
    expect(await table.innerText()).toContain('demo@1');
    await page.screenshot({ path: path.join(shots, 'reviews-light.png') });
    await table.locator('a').first().click();
    await page.locator('.page-header h1', { hasText: 'Test run' }).waitFor();
  });
});
