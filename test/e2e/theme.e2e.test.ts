// The theme toggle in Chromium: light, dark or the system's setting, applied at once without a reload,
// remembered across reloads, and "system" following the OS's setting live.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { cli, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let runId: string;
const dataDir = tempDir('tb-e2e-theme-');

const LIGHT_BG = 'rgb(246, 247, 249)';
const DARK_BG = 'rgb(20, 23, 28)';

beforeAll(async () => {
  expect(cli(['project', 'create', 'themed'], { dataDir }).code).toBe(0);
  const seeded = cli(['demo', 'seed', '--runs', '1', '--points', '60', '--json'], { dataDir });
  expect(seeded.code, seeded.stderr).toBe(0);
  runId = seeded.json().runIds[0];
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  await page.goto(served.url);
  await page.getByRole('link', { name: 'themed', exact: true }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

/** The theme the page is drawn in, as a person sees it: the colours of the page and of the sidebar. */
const drawn = () =>
  page.evaluate(() => ({
    theme: document.documentElement.dataset.theme,
    page: getComputedStyle(document.body).backgroundColor,
    sidebar: getComputedStyle(document.querySelector('.sidebar')!).backgroundColor,
    text: getComputedStyle(document.body).color,
  }));
const radio = (name: 'System' | 'Light' | 'Dark') => page.getByRole('radio', { name, exact: true });
/** A mark on the window: it survives anything but a reload. */
const markWindow = () => page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
const stillSameWindow = () => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);

describe('the theme toggle', () => {
  it('starts on System, drawn as the OS says', async () => {
    expect(await radio('System').isChecked()).toBe(true);
    expect(await drawn()).toMatchObject({ theme: 'light', page: LIGHT_BG });
  });

  it('switches to dark and back at once, without a reload', async () => {
    await markWindow();
    const lightSidebar = (await drawn()).sidebar;
    await radio('Dark').check();
    await expect.poll(async () => (await drawn()).page).toBe(DARK_BG);
    const dark = await drawn();
    expect(dark.theme).toBe('dark');
    expect(dark.sidebar).not.toBe(lightSidebar);
    expect(await stillSameWindow()).toBe(true);
    await radio('Light').check();
    await expect.poll(async () => (await drawn()).page).toBe(LIGHT_BG);
    expect(await stillSameWindow()).toBe(true);
  });

  it('remembers the choice across reloads, even against the OS setting', async () => {
    await radio('Dark').check();
    await page.reload();
    await page.getByRole('link', { name: 'themed', exact: true }).waitFor();
    expect(await radio('Dark').isChecked()).toBe(true);
    expect(await drawn()).toMatchObject({ theme: 'dark', page: DARK_BG });
    await radio('Light').check();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await page.getByRole('link', { name: 'themed', exact: true }).waitFor();
    expect(await radio('Light').isChecked()).toBe(true);
    expect(await drawn()).toMatchObject({ theme: 'light', page: LIGHT_BG });
  });

  it('after a reload, draws the chosen theme from the start (set before the page body exists)', async () => {
    await radio('Dark').check();
    await page.addInitScript(() => {
      const w = window as unknown as { themeSetBeforeBody?: boolean };
      // On the document itself: this runs before <html> is parsed.
      new MutationObserver((_, observer) => {
        if (!document.documentElement?.dataset.theme) return;
        w.themeSetBeforeBody = document.body === null;
        observer.disconnect();
      }).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-theme'] });
    });
    await page.reload();
    await page.getByRole('link', { name: 'themed', exact: true }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { themeSetBeforeBody?: boolean }).themeSetBeforeBody)).toBe(true);
    expect((await drawn()).theme).toBe('dark');
  });

  it('on System, follows the OS setting live', async () => {
    await radio('System').check();
    await expect.poll(async () => (await drawn()).theme).toBe('dark'); // the OS says dark (set above)
    await markWindow();
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(async () => (await drawn()).page).toBe(LIGHT_BG);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(async () => (await drawn()).page).toBe(DARK_BG);
    expect(await stillSameWindow()).toBe(true);
    await page.reload();
    await page.getByRole('link', { name: 'themed', exact: true }).waitFor();
    expect(await radio('System').isChecked()).toBe(true);
    expect((await drawn()).theme).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('restyles an open chart without a reload, and back', async () => {
    await radio('Light').check();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
    await page.locator(`main a[href="#/runs/${runId}"]`).first().click();
    const canvas = page.locator('main canvas').first();
    await canvas.waitFor();
    await markWindow();
    /** The chart's pixels, once two reads a frame apart agree (it has finished drawing). */
    const pixels = async () => {
      let last = '';
      for (;;) {
        const now = await canvas.evaluate((c: HTMLCanvasElement) => new Promise<string>((resolve) => requestAnimationFrame(() => resolve(c.toDataURL()))));
        if (now === last) return now;
        last = now;
      }
    };
    const light = await pixels();
    await radio('Dark').check();
    await expect.poll(pixels).not.toBe(light);
    await radio('Light').check();
    await expect.poll(pixels).toBe(light);
    expect(await stillSameWindow()).toBe(true);
    await radio('System').check();
  });

  it('is reachable from the keyboard: arrow keys move between the choices', async () => {
    await radio('System').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await drawn()).theme).toBe('light');
    expect(await radio('Light').isChecked()).toBe(true);
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await drawn()).page).toBe(DARK_BG);
    await radio('System').check();
  });
});
