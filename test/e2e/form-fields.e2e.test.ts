// Every form says what is wrong beside the field it is about, in words that name the rule, with its help
// kept and focus taken there: a recipe's whole-number parameters (launch and relaunch), the add-registry
// form (what is missing, and the engine's refusals), and the continuous-training trigger form.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let runIds: string[];
let projectId: string;
const dataDir = tempDir('tb-e2e-form-fields-');
const shots = path.join(ROOT, SCREENSHOT_DIR);
/** Zod's own dialect, which a person must never read. */
const DIALECT = /Invalid input|expected (number|string|int)|received|Too (small|big)|>=|<=|NaN/;

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const seeded = cli(['demo', 'seed', '--runs', '3', '--points', '20', '--json'], { dataDir });
  expect(seeded.code, seeded.stderr).toBe(0);
  runIds = seeded.json().runIds;
  projectId = (cli(['project', 'show', 'demo', '--json'], { dataDir }).json() as { id: string }).id;
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
  await page.getByRole('link', { name: 'demo', exact: true }).waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

// A test that fails with a dialog open must not take the next ones down with it.
afterEach(async () => {
  if (await page.getByRole('dialog').count()) await page.reload();
});

const nav = (name: RegExp) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

/** What a field shows: its error and help (by the ids its input is described by), whether it has focus, and whether both sit in its box. */
async function fieldState(input: Locator) {
  return input.evaluate((el) => {
    const described = (el.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
    const texts = described.map((id) => document.getElementById(id));
    const box = el.closest('.field');
    return {
      invalid: el.getAttribute('aria-invalid'),
      focused: document.activeElement === el,
      error: texts.find((t) => t?.getAttribute('role') === 'alert')?.textContent ?? null,
      hint: texts.find((t) => t && t.getAttribute('role') !== 'alert')?.textContent ?? null,
      besideField: texts.every((t) => t !== null && box !== null && box.contains(t) && t.getClientRects().length > 0),
    };
  });
}

/** The form-level alerts of a dialog or form (not a field's own error). */
const formAlerts = (scope: Locator) => scope.locator('[role="alert"]:not(.field-error)').allTextContents();

async function shoot(name: string) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of [
      [1440, 900],
      [1024, 700],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.screenshot({ path: path.join(shots, `${name}-${w}-${scheme}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('a recipe parameter that must be a whole number', () => {
  it('launch: a word, a fraction and a value out of range each say "a whole number between" its bounds, beside the field, with focus there', { timeout: 40_000 }, async () => {
    await nav(/Runs/);
    await page.getByRole('button', { name: 'Launch run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch run' });
    await dialog.getByLabel('Recipe', { exact: true }).selectOption('demo-lora-torch');
    const steps = dialog.getByLabel('steps', { exact: true });
    const rank = dialog.getByLabel('rank', { exact: true });
    const lr = dialog.getByLabel('lr', { exact: true });
    await steps.fill('ten');
    await rank.fill('2.5');
    await lr.fill('fast');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect
      .poll(() => fieldState(steps))
      .toEqual({ invalid: 'true', focused: true, error: 'Steps must be a whole number between 1 and 1000000.', hint: expect.stringContaining('LoRA fine-tuning steps'), besideField: true });
    expect(await fieldState(rank)).toMatchObject({ invalid: 'true', focused: false, error: 'Rank must be a whole number between 1 and 256.', besideField: true });
    // A plain number takes fractions; its rule names its bounds too.
    expect((await fieldState(lr)).error).toBe('Lr must be a number, more than 0 and at most 10.');
    await shoot('form-fields-launch');

    // Fixed one by one: the next bad field takes focus; a whole number written with a fraction's point is refused.
    await steps.fill('120');
    await rank.fill('300');
    await lr.fill('0.01');
    await page.keyboard.press('Enter');
    await expect.poll(() => fieldState(rank)).toMatchObject({ focused: true, error: 'Rank must be a whole number between 1 and 256.' });
    expect((await fieldState(steps)).error).toBeNull();
    expect((await fieldState(lr)).error).toBeNull();
    expect(await dialog.innerText()).not.toMatch(DIALECT);
    // The rule is the recipe's own: another recipe's steps have other bounds.
    await dialog.getByLabel('Recipe', { exact: true }).selectOption('demo-lora-stdlib');
    await dialog.getByLabel('eval_every', { exact: true }).fill('1.5');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(() => fieldState(dialog.getByLabel('eval_every', { exact: true }))).toMatchObject({ focused: true, error: 'Eval every must be a whole number, 1 or more.' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('relaunch with edited parameters: the same words for the same mistake', { timeout: 30_000 }, async () => {
    await page.goto(`${served.url}#/runs/${runIds[0]}`);
    await page.getByRole('button', { name: 'Relaunch…' }).click();
    const dialog = page.getByRole('dialog', { name: `Relaunch ${runIds[0]}` });
    const steps = dialog.getByLabel('steps', { exact: true });
    await steps.fill('lots');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(() => fieldState(steps)).toMatchObject({ invalid: 'true', focused: true, error: expect.stringMatching(/^Steps must be a whole number between 1 and \d+\.$/), besideField: true });
    await steps.fill('2.5');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(() => fieldState(steps)).toMatchObject({ focused: true, error: expect.stringMatching(/^Steps must be a whole number/) });
    expect(await dialog.innerText()).not.toMatch(DIALECT);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});

describe('the add-registry form', () => {
  it('says what is missing, and what the engine refused, beside the field it is about, with the help kept', { timeout: 40_000 }, async () => {
    await nav(/Registry/);
    await page.getByRole('button', { name: 'Add registry' }).click();
    let dialog = page.getByRole('dialog', { name: 'Add registry' });
    const name = page.getByRole('dialog', { name: 'Add registry' }).getByLabel('Name', { exact: true });
    const url = page.getByRole('dialog', { name: 'Add registry' }).getByLabel('URL', { exact: true });
    // Nothing typed: the button still answers, and says so at both fields; focus goes to the first.
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect.poll(() => fieldState(name)).toMatchObject({ invalid: 'true', focused: true, error: expect.stringMatching(/^Give the registry a name/), besideField: true });
    expect(await fieldState(url)).toMatchObject({ invalid: 'true', error: expect.stringMatching(/^Give the registry's URL/), hint: 'https://host[:port]/repository-prefix', besideField: true });
    expect(await formAlerts(dialog)).toEqual([]);

    // The engine's refusal of the URL: at the URL, in its words, help kept, focus moved there.
    await name.fill('models');
    await url.fill('ftp://registry.example/models');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect.poll(() => fieldState(url)).toMatchObject({ invalid: 'true', focused: true, error: expect.stringMatching(/https/), hint: 'https://host[:port]/repository-prefix', besideField: true });
    expect((await fieldState(name)).error).toBeNull();
    expect(await formAlerts(dialog)).toEqual([]);
    await shoot('form-fields-registry');

    // Plain http: refused at the URL in the form's words (not the CLI's flag), then allowed by the box it names.
    await url.fill('http://registry.example/models');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect.poll(() => fieldState(url)).toMatchObject({ focused: true, error: expect.stringMatching(/^Plain http .*"Allow plain http"/), besideField: true });
    expect(await dialog.innerText()).not.toContain('--insecure-http');
    await dialog.getByRole('checkbox', { name: /Allow plain http/ }).check();
    await name.fill('on-http');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Add registry' }).click();
    dialog = page.getByRole('dialog', { name: 'Add registry' });

    // A name that is too long (the validator's issue) is at the name.
    await name.fill('r'.repeat(101));
    await url.fill('https://registry.example/models');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect.poll(() => fieldState(name)).toMatchObject({ focused: true, error: 'Name can have at most 100 characters.', besideField: true });
    expect(await dialog.innerText()).not.toMatch(DIALECT);
    await name.fill('models');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The same name again: refused at the name. An SSH folder on a host that is not there: at the folder.
    await page.getByRole('button', { name: 'Add registry' }).click();
    dialog = page.getByRole('dialog', { name: 'Add registry' });
    await dialog.getByLabel('Name', { exact: true }).fill('models');
    await dialog.getByLabel('URL', { exact: true }).fill('https://registry.example/other');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect.poll(() => fieldState(dialog.getByLabel('Name', { exact: true }))).toMatchObject({ focused: true, error: expect.stringMatching(/exists already/), besideField: true });
    await dialog.getByLabel('Name', { exact: true }).fill('on-ssh');
    await dialog.getByLabel('Kind', { exact: true }).selectOption('ssh');
    const folder = dialog.getByLabel('Host and folder', { exact: true });
    await folder.fill('nowhere-box:/srv/models');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect
      .poll(() => fieldState(folder))
      .toMatchObject({ invalid: 'true', focused: true, error: expect.stringMatching(/nowhere-box/), hint: expect.stringContaining('HOST:/path'), besideField: true });
    await folder.fill('no-colon-here');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await expect.poll(() => fieldState(folder)).toMatchObject({ focused: true, error: expect.stringMatching(/HOST:\/absolute\/path/), besideField: true });
    expect(await formAlerts(dialog)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});

describe('the continuous-training trigger form', () => {
  it('a schedule that is not one is refused beside the schedule field, with its help kept and focus there', { timeout: 30_000 }, async () => {
    await page.goto(`${served.url}#/projects/${projectId}`);
    const form = page.getByRole('region', { name: 'Continuous training' }).getByRole('form', { name: 'Add a trigger' });
    await form.getByLabel('Fire').selectOption('schedule');
    const schedule = form.getByLabel('Schedule (cron)');
    await schedule.fill('nightly');
    await form.getByRole('button', { name: 'Add trigger' }).click();
    await expect
      .poll(() => fieldState(schedule))
      .toMatchObject({
        invalid: 'true',
        focused: true,
        error: expect.stringMatching(/"nightly" is not a schedule/),
        hint: expect.stringContaining('minute hour day month weekday'),
        besideField: true,
      });
    expect(await formAlerts(form)).toEqual([]);
    // A dataset trigger without its dataset: at the dataset.
    await form.getByLabel('Fire').selectOption('dataset');
    await form.getByRole('button', { name: 'Add trigger' }).click();
    await expect.poll(() => fieldState(form.getByLabel('Dataset'))).toMatchObject({ invalid: 'true', focused: true, error: 'A dataset trigger names its dataset.', besideField: true });
    await form.getByLabel('Fire').selectOption('schedule');
    await schedule.fill('nightly');
    await form.getByRole('button', { name: 'Add trigger' }).click();
    await expect.poll(async () => (await fieldState(schedule)).error).toMatch(/not a schedule/);
    await form.scrollIntoViewIfNeeded();
    await shoot('form-fields-trigger');
  });
});
