// Words and keys, as a person meets them in Chromium: a form's mistakes said in plain words beside the
// field (its help kept) with focus taken there, in several forms; dialogs that take focus, close on
// Escape and give focus back to what opened them; and the page shortcuts (/, c, ?), which never fire
// while the person types.
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let runIds: string[];
const dataDir = tempDir('tb-e2e-keys-');

/** Zod's own dialect, which a person must never read. */
const DIALECT = /Invalid input|expected (number|string|int)|received|Too (small|big)|>=|<=/;

beforeAll(async () => {
  const seeded = cli(['demo', 'seed', '--runs', '5', '--points', '40', '--json'], { dataDir });
  expect(seeded.code, seeded.stderr).toBe(0);
  runIds = seeded.json().runIds;
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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

/** What a field shows: its error and help (by the ids its input is described by), and whether it has focus. */
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
      // Both are beside the field, inside its box, and shown.
      besideField: texts.every((t) => t !== null && box !== null && box.contains(t) && t.getClientRects().length > 0),
    };
  });
}

const focusedLabel = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? null);

describe('mistakes in forms, in plain words', () => {
  it('launch: a parameter that is not a number, then not whole, is named beside its field with its help kept, and focus goes there', { timeout: 30_000 }, async () => {
    await nav(/Runs/);
    await page.getByRole('button', { name: 'Launch run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch run' });
    await dialog.getByLabel('Recipe', { exact: true }).selectOption('demo-lora-stdlib');
    const steps = dialog.getByLabel('steps', { exact: true });
    await steps.fill('many');
    await dialog.getByLabel('lr', { exact: true }).fill('zero');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect
      .poll(() => fieldState(steps))
      .toEqual({ invalid: 'true', focused: true, error: 'Steps must be a whole number between 1 and 1000000.', hint: expect.stringContaining('Training steps'), besideField: true });
    expect((await fieldState(dialog.getByLabel('lr', { exact: true }))).error).toBe('Lr must be a number, more than 0 and at most 100.');
    await steps.fill('2.5');
    await dialog.getByLabel('lr', { exact: true }).fill('0.1');
    await dialog.getByLabel('batch', { exact: true }).focus(); // submitting with Enter from another field
    await page.keyboard.press('Enter');
    await expect.poll(() => fieldState(steps)).toMatchObject({ focused: true, error: 'Steps must be a whole number between 1 and 1000000.', besideField: true });
    await steps.fill('0');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await expect.poll(async () => (await fieldState(steps)).error).toBe('Steps must be a whole number between 1 and 1000000.');
    expect(await dialog.innerText()).not.toMatch(DIALECT);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'launch-field-error-light.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('add host: an empty hostname from the engine and a port typed as words, each at its field with focus moved', { timeout: 30_000 }, async () => {
    await nav(/Hosts/);
    await page.getByRole('button', { name: 'Add SSH host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add SSH host' });
    await dialog.getByLabel('Name', { exact: true }).fill('box');
    await dialog.getByRole('button', { name: 'Add host' }).click();
    const hostname = dialog.getByLabel('Hostname', { exact: true });
    await expect.poll(() => fieldState(hostname)).toEqual({ invalid: 'true', focused: true, error: 'Hostname is required.', hint: 'Address or DNS name', besideField: true });
    await hostname.fill('127.0.0.1');
    const port = dialog.getByLabel('Port', { exact: true });
    await port.fill('twenty-two');
    await dialog.getByRole('button', { name: 'Add host' }).click();
    await expect
      .poll(() => fieldState(port))
      .toEqual({ invalid: 'true', focused: true, error: expect.stringMatching(/^The port must be a whole number/), hint: '22 unless the server says otherwise', besideField: true });
    expect(await dialog.innerText()).not.toMatch(DIALECT);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('new project: an empty name is refused at the name, which takes focus', async () => {
    await nav(/Projects/);
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByLabel('Base model', { exact: true }).fill('org/model');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    const name = dialog.getByLabel('Name', { exact: true });
    await expect.poll(() => fieldState(name)).toMatchObject({ invalid: 'true', focused: true, error: 'Project name cannot be empty.', hint: expect.stringContaining('Unique'), besideField: true });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it("add registry: a form that shows the engine's message as text says it in words too", async () => {
    await nav(/Registry/);
    await page.getByRole('button', { name: 'Add registry' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add registry' });
    await dialog.getByLabel('Name', { exact: true }).fill('r'.repeat(101));
    await dialog.getByLabel('URL', { exact: true }).fill('https://registry.example/models');
    await dialog.getByRole('button', { name: 'Add registry' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Name can have at most 100 characters.' }).waitFor();
    expect(await dialog.innerText()).not.toMatch(DIALECT);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});

describe('dialogs and focus', () => {
  it('a dialog takes focus when it opens, keeps Tab inside, closes on Escape and gives focus back to its button', async () => {
    await nav(/Projects/);
    const opener = page.getByRole('button', { name: 'New project' });
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await opener.evaluate((b) => document.activeElement === b)).toBe(true);
  });

  it('the launch dialog, opened from the keyboard, starts at its first field and returns focus on Cancel', async () => {
    await nav(/Runs/);
    const opener = page.getByRole('button', { name: 'Launch run' });
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Launch run' });
    await dialog.waitFor();
    expect(await focusedLabel()).not.toBeNull();
    expect(await dialog.getByLabel('Project', { exact: true }).evaluate((el) => document.activeElement === el)).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await opener.evaluate((b) => document.activeElement === b)).toBe(true);
  });
});

describe('page shortcuts', () => {
  const filter = () => page.getByRole('searchbox', { name: 'Filter runs' });

  it('/ focuses the runs filter, from the runs page and from elsewhere, and is typed as text there', async () => {
    await nav(/Runs/);
    await page.locator('main h1').click();
    await page.keyboard.press('/');
    expect(await filter().evaluate((el) => document.activeElement === el)).toBe(true);
    await page.keyboard.type('c?/');
    expect(await filter().inputValue()).toBe('c?/');
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(page.url()).toMatch(/#\/runs/);
    await filter().fill('');
    await nav(/Projects/);
    await page.locator('main h1').click();
    await page.keyboard.press('/');
    await expect.poll(() => filter().evaluate((el) => document.activeElement === el)).toBe(true);
    expect(page.url()).toMatch(/#\/runs/);
  });

  it('c compares the selected runs; with too few selected it says what to do', async () => {
    await nav(/Runs/);
    await page.locator('main h1').click();
    await page.keyboard.press('c');
    await page
      .getByRole('status')
      .filter({ hasText: /Select two or more runs/ })
      .waitFor();
    expect(page.url()).toMatch(/#\/runs/);
    for (const id of runIds.slice(0, 2)) await page.getByRole('checkbox', { name: `Select ${id}` }).check();
    await page.keyboard.press('c'); // focus is on a checkbox: not typing
    await expect.poll(() => page.url()).toMatch(/#\/compare\//);
    const compared = decodeURIComponent(page.url().split('#/compare/')[1]!).split(',');
    expect(compared.sort()).toEqual(runIds.slice(0, 2).sort());
    // Away from the table, the selection made there is still what c compares.
    await nav(/Projects/);
    await page.locator('main h1').click();
    await page.keyboard.press('c');
    await expect.poll(() => page.url()).toMatch(/#\/compare\//);
  });

  it('? lists every shortcut in a help overlay that Escape closes; keys typed into a dialog stay text', async () => {
    await nav(/Projects/);
    await page.locator('main h1').click();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    const keys = await help.locator('kbd').allTextContents();
    for (const key of ['/', 'c', '?', 'Esc', '↑', '↓', 'Enter']) expect(keys).toContain(key);
    expect(await help.innerText()).toMatch(/Focus the runs filter[\s\S]*Compare the selected runs[\s\S]*Show this list/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    // The status bar's button opens the same list, for those who do not know the key.
    await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
    await help.waitFor();
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog', { name: 'New project' });
    await dialog.getByLabel('Name', { exact: true }).pressSequentially('c/?');
    expect(await dialog.getByLabel('Name', { exact: true }).inputValue()).toBe('c/?');
    expect(await help.count()).toBe(0);
    expect(page.url()).toMatch(/#\/projects/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});
