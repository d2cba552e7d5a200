// Compare's charts as a researcher meets them: neighbouring runs in colours told apart (the same on the
// chips, the chart and the config table), a seed group in one colour and counted right, light bands
// that stay off for many runs, an outlier-robust y axis that still marks the spike, zooms of any depth
// (also on the tokens axis) that never send the engine a null, PNG export with a title, and charts
// that restyle when the theme changes.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-compare-charts-');
let ids: string[];
const errors: string[] = [];

beforeAll(async () => {
  // Runs r, r+12 and r+24 differ only in their seed; each has one +25 loss spike.
  const seeded = cli(['demo', 'seed', '--runs', '36', '--points', '2000', '--json'], { dataDir, timeoutMs: 120_000 });
  expect(seeded.code, seeded.stderr).toBe(0);
  ids = seeded.json().runIds;
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(served.url);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const lossChart = () => page.getByRole('figure', { name: 'loss comparison', exact: true });
const canvas = () => lossChart().locator('.chart-canvas');
const data = (el: Locator) => el.evaluate((e: HTMLElement) => ({ ...e.dataset }));

/** Waits until every query the chart started is answered and drawn, then reads what it drew. */
async function settled(): Promise<Record<string, string | undefined>> {
  let last: Record<string, string | undefined> = {};
  let previous = '';
  await expect
    .poll(
      async () => {
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        last = await data(canvas());
        const json = JSON.stringify(last);
        const done = last.started === last.shown && Number(last.loads) > 0 && json === previous;
        previous = json;
        return done;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return last;
}

const swatchColours = () =>
  page
    .getByRole('list', { name: 'Compared runs' })
    .locator('.swatch')
    .evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
const rgb = (hex: string) => `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;

describe('compare charts', () => {
  it('colours neighbours apart and alike everywhere; bands off for five runs; the spike cut off the axis but marked', async () => {
    const five = ids.slice(0, 5);
    await page.goto(`${served.origin}/#/compare/${five.join(',')}`);
    const s = await settled();
    expect(s.runs).toBe('5');
    const colours = s.curveColors!.split(',');
    expect(new Set(colours).size).toBe(5);
    expect(await swatchColours()).toEqual(colours.map(rgb));
    const header = await page
      .getByRole('table', { name: 'Config differences' })
      .locator('thead .swatch')
      .evaluateAll((els) => els.map((e) => getComputedStyle(e).backgroundColor));
    expect(header).toEqual(colours.map(rgb));
    // Bands: off by default for more than three runs; the checkbox brings them.
    expect(s.bands).toBe('off');
    const bands = page.getByLabel('Min/max bands for loss');
    expect(await bands.isChecked()).toBe(false);
    // Outlier-robust: the +25 spikes (on curves near 1-3) are off the axis, and marked at its edge.
    expect(Number(s.yMax)).toBeLessThan(10);
    expect(Number(s.max)).toBeGreaterThan(25); // given to the chart: the bucket's max
    expect(s.offScale!.split(',').filter(Boolean).length).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-robust-light.png') });
    await bands.check();
    await expect.poll(async () => (await data(canvas())).bands).toBe('on');
    await page.getByLabel('Outlier-robust y axis for loss').uncheck();
    await expect.poll(async () => Number((await data(canvas())).yMax)).toBeGreaterThan(25);
    // Two runs: bands on by default.
    await page.goto(`${served.origin}/#/compare/${ids.slice(5, 7).join(',')}`);
    await expect.poll(async () => (await settled()).bands).toBe('on');
  });

  it('lists every run under the pointer with its value there, at a whole step', async () => {
    const five = ids.slice(0, 5);
    await page.goto(`${served.origin}/#/compare/${five.join(',')}`);
    const s = await settled();
    const box = (await canvas().boundingBox())!;
    await page.mouse.move(box.x + Number(s.plotLeft) + Number(s.plotWidth) * 0.4, box.y + box.height / 2);
    const tip = page.locator('.chart-tip').filter({ visible: true });
    await expect.poll(() => tip.locator('.chart-tip-name').count(), { timeout: 5000 }).toBe(5);
    expect(await tip.locator('.chart-tip-x').textContent()).toMatch(/^steps? [\d,]+(–[\d,]+ \([\d,]+ points\))?$/);
    const names = await tip.locator('.chart-tip-name').allTextContents();
    expect(names.sort()).toEqual(s.curveNames!.split(',').sort());
    // Lowest first, each a loss (positive): a run without a value there would read "—".
    const values = (await tip.locator('.chart-tip-value').allTextContents()).map(Number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    for (const v of values) expect(v).toBeGreaterThan(0);
    await page.mouse.move(0, 0);
  });

  it('says a chart is loading until its answers come, then draws it', async () => {
    // A page of its own whose metric answers are held back until released.
    const slow = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const held: string[] = [];
    let holding = true;
    let toPage: ((message: string) => void) | undefined;
    await slow.routeWebSocket(/\/rpc$/, (ws) => {
      const server = ws.connectToServer();
      toPage = (message) => ws.send(message);
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        const text = String(m);
        if (holding && /"kind":"(buckets|points)"/.test(text)) held.push(text);
        else ws.send(text);
      });
    });
    try {
      await slow.goto(served.url); // its token: a page of its own is a context of its own
      await slow.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
      await slow.goto(`${served.origin}/#/compare/${ids.slice(0, 3).join(',')}`);
      const chart = slow.getByRole('figure', { name: 'loss comparison', exact: true });
      const loading = chart.getByRole('status').filter({ hasText: 'Loading 3 runs…' });
      await loading.waitFor();
      await expect.poll(() => held.length).toBeGreaterThanOrEqual(3);
      expect(await chart.locator('.chart-canvas').getAttribute('data-rendered')).toBeNull();
      await slow.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-loading-light.png') });
      await slow.emulateMedia({ colorScheme: 'dark' });
      await slow.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-loading-dark.png') });
      holding = false;
      for (const message of held.splice(0)) toPage!(message);
      await expect.poll(() => chart.locator('.chart-canvas').getAttribute('data-runs')).toBe('3');
      await expect.poll(() => chart.locator('.chart-canvas').getAttribute('data-rendered')).not.toBeNull();
      expect(await loading.count()).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('draws a seed group as one curve in one colour, its chips in that colour, counted right', async () => {
    const picked = [ids[0]!, ids[12]!, ids[24]!, ids[1]!, ids[13]!, ids[25]!, ids[2]!];
    await page.goto(`${served.origin}/#/compare/${picked.join(',')}`);
    await settled();
    await page.getByLabel('Group seeds').check();
    await expect.poll(async () => (await data(canvas())).curves).toBe('3');
    const s = await settled();
    expect(s.curveNames!.split(',')).toEqual([`${ids[0]!.slice(-8)} · mean of 3 seeds`, `${ids[1]!.slice(-8)} · mean of 3 seeds`, ids[2]!.slice(-8)]);
    const colours = s.curveColors!.split(',').map(rgb);
    expect(new Set(colours).size).toBe(3);
    expect(await swatchColours()).toEqual([colours[0], colours[0], colours[0], colours[1], colours[1], colours[1], colours[2]]);
    await expect.poll(() => page.getByText('(seed group of 3)').count()).toBe(6);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-seed-colours-light.png') });
  });

  it('zooms to single steps on the step and tokens axes without an error, the axis on the window asked for', async () => {
    await page.goto(`${served.origin}/#/compare/${ids.slice(0, 5).join(',')}`);
    await settled();
    for (const axis of ['step', 'tokens']) {
      await page.getByLabel('X axis').selectOption(axis);
      await expect.poll(async () => (await settled()).axis).toBe(axis);
      const box = (await canvas().boundingBox())!;
      await page.mouse.click(Math.round(box.x + box.width * 0.6), Math.round(box.y + box.height / 2)); // focus
      for (let i = 0; i < 25; i++) await page.mouse.wheel(0, -300); // as fast as the wheel turns
      const s = await settled();
      const px = (Number(s.axisTo) - Number(s.axisFrom)) / Number(s.plotWidth);
      expect(s.from, axis).not.toBe('');
      expect(Math.abs(Number(s.axisFrom) - Number(s.from))).toBeLessThanOrEqual(px);
      expect(Math.abs(Number(s.axisTo) - Number(s.to))).toBeLessThanOrEqual(px);
      // Deep: a few steps (4,096 tokens a step on the tokens axis) across the plot.
      expect(Number(s.to) - Number(s.from)).toBeLessThan(axis === 'step' ? 10 : 10 * 4096);
      expect(await lossChart().getByRole('alert').count()).toBe(0);
      // A double-click shows all the steps again.
      await canvas().dblclick();
      await expect.poll(async () => (await settled()).from).toBe('');
    }
    expect(errors).toEqual([]);
  });

  it('pans by dragging: the axis follows the pointer (through a resize too), and the window is asked for on release', async () => {
    await page.goto(`${served.origin}/#/compare/${ids.slice(0, 3).join(',')}`);
    await settled();
    await canvas().focus();
    await page.keyboard.press('+');
    const zoomed = await settled();
    const [from, to, width] = [Number(zoomed.from), Number(zoomed.to), Number(zoomed.plotWidth)];
    const box = (await canvas().boundingBox())!;
    const [x, y] = [Math.round(box.x + box.width * 0.5), Math.round(box.y + box.height / 2)];
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + 100, y, { steps: 5 }); // to the right: earlier steps come into view
    const shift = (100 / width) * (to - from);
    await expect.poll(async () => Number((await data(canvas())).axisFrom)).toBeCloseTo(from - shift, -1);
    expect((await data(canvas())).from).toBe(String(from)); // not asked for yet
    await page.setViewportSize({ width: 1300, height: 900 });
    await expect.poll(async () => Number((await data(canvas())).plotWidth)).not.toBe(width);
    expect(Number((await data(canvas())).axisFrom)).toBeCloseTo(from - shift, -1); // still the dragged window
    await page.mouse.up();
    const panned = await settled();
    expect(Number(panned.from)).toBeCloseTo(from - shift, -1);
    expect(Number(panned.axisFrom)).toBe(Number(panned.from));
    expect(Number(panned.to) - Number(panned.from)).toBeCloseTo(to - from, 6);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("draws again at a screen's pixel density when the window moves to another", async () => {
    // Headless Chromium's emulated density changes the page's devicePixelRatio but fires no 'change' on
    // the media queries watching it, as a move between screens does: the test fires it.
    await page.addInitScript(() => {
      const made: MediaQueryList[] = [];
      (window as unknown as { densityQueries: MediaQueryList[] }).densityQueries = made;
      const matchMedia = window.matchMedia.bind(window);
      window.matchMedia = (query: string) => {
        const list = matchMedia(query);
        if (query.includes('dppx')) made.push(list);
        return list;
      };
    });
    await page.reload();
    await settled();
    const pixels = () => canvas().evaluate((el: HTMLElement) => [...el.querySelectorAll('canvas')].map((c) => c.width / el.clientWidth));
    const screenChanged = () => page.evaluate(() => (window as unknown as { densityQueries: MediaQueryList[] }).densityQueries.forEach((q) => q.dispatchEvent(new Event('change'))));
    expect(await pixels()).toEqual([1, 1]);
    const cdp = await page.context().newCDPSession(page);
    try {
      await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1440, height: 900, deviceScaleFactor: 2, mobile: false });
      await screenChanged();
      await expect.poll(pixels).toEqual([2, 2]);
    } finally {
      await cdp.send('Emulation.clearDeviceMetricsOverride');
      await cdp.detach();
    }
    await screenChanged();
    await expect.poll(pixels).toEqual([1, 1]);
  });

  it('adds a run from within Compare, and lists summary metrics in the config table', async () => {
    await page.goto(`${served.origin}/#/compare/${ids.slice(0, 2).join(',')}`);
    await expect.poll(async () => (await settled()).runs).toBe('2');
    await page.getByRole('button', { name: 'Add runs' }).click();
    const menu = page.getByRole('dialog', { name: 'Add runs to the comparison' });
    await menu.getByLabel('Find runs to add').fill(ids[7]!.slice(-8).toLowerCase());
    await expect.poll(() => menu.getByRole('button', { name: /^Add / }).count()).toBe(1);
    await menu.getByRole('button', { name: /^Add / }).click();
    await expect.poll(async () => (await settled()).runs).toBe('3');
    expect(page.url()).toContain(ids[7]);
    await expect.poll(() => page.getByRole('list', { name: 'Compared runs' }).getByRole('listitem').count()).toBe(3);
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.count()).toBe(0);
    const config = page.getByRole('table', { name: 'Config differences' });
    await config.getByText('loss.min', { exact: true }).waitFor();
    await config.getByText('eval_loss.last', { exact: true }).waitFor();
  });

  it('exports a PNG with the title drawn above the chart', async () => {
    await page.getByLabel('X axis').selectOption('step');
    await settled();
    const download = page.waitForEvent('download');
    await lossChart().getByRole('button', { name: 'PNG' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('loss.png');
    const png = fs.readFileSync((await file.path())!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    fs.mkdirSync('test-results/screenshots', { recursive: true });
    fs.writeFileSync('test-results/screenshots/compare-export.png', png);
    const box = (await canvas().boundingBox())!;
    // At twice the pixels, taller than the chart by the title's band (28 px) and the legend's rows under
    // the plot (one row of 18 px, 8 px margin: three runs fit in a row of ~96 px entries).
    expect(png.readUInt32BE(20)).toBe(Math.round((box.height + 28 + 26) * 2));
  });

  it('draws every curve over the chart in its colour, inside the plot, and again after a zoom; an SVG has them too', async () => {
    const state = await settled();
    const colors = [...new Set(state.curveColors!.split(','))];
    expect(colors.length).toBeGreaterThan(1);
    // The curves' canvas: pixels near each curve's colour, and none left or right of the plot (but for
    // the triangle of an off-scale mark at its edge).
    const drawn = () =>
      canvas().evaluate((el: HTMLElement, colors: string[]) => {
        const c = el.querySelector<HTMLCanvasElement>('canvas.chart-curves')!;
        const { data, width, height } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
        const scale = c.width / el.clientWidth;
        const [left, right] = [Number(el.dataset.plotLeft) * scale, (Number(el.dataset.plotLeft) + Number(el.dataset.plotWidth)) * scale];
        const rgb = colors.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
        const near = colors.map(() => 0);
        let outside = 0;
        let sum = 0;
        for (let y = 0; y < height; y++)
          for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 4;
            if (data[i + 3]! < 200) continue;
            if (x < left - 7 * scale || x > right + 7 * scale) outside++; // an off-scale mark's triangle may stand 6 px out
            sum = (sum * 31 + x * 7 + y + data[i]!) % 1_000_000_007;
            rgb.forEach(([r, g, b], k) => Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 30 && near[k]!++);
          }
        return { near, outside, sum };
      }, colors);
    const before = await drawn();
    expect(before.outside).toBe(0);
    for (const [k, n] of before.near.entries()) expect(n, `pixels of ${colors[k]}`).toBeGreaterThan(20);
    // Zoomed, the curves are drawn again for the new axis.
    await canvas().focus();
    await page.keyboard.press('+');
    await expect.poll(async () => (await data(canvas())).from).not.toBe('');
    await settled();
    const after = await drawn();
    expect(after.sum).not.toBe(before.sum);
    expect(after.outside).toBe(0);
    // An SVG export draws the curves itself (the page's canvas is not part of it).
    const download = page.waitForEvent('download');
    await lossChart().getByRole('button', { name: 'SVG' }).click();
    const svg = fs.readFileSync((await (await download).path())!, 'utf8');
    // A curve: a line of many points in its colour (the legend under the plot has a short one each).
    const strokes = [...svg.matchAll(/<polyline\b[^>]*>/g)]
      .filter(([tag]) => (/\spoints="([^"]*)"/.exec(tag)?.[1]?.trim().split(/\s+/).length ?? 0) >= 10)
      .map(([tag]) => /stroke="([^"]*)"/.exec(tag)?.[1]?.toLowerCase());
    for (const color of colors) expect(strokes, `a curve of ${color} in the SVG`).toContain(color.toLowerCase());
    await page.keyboard.press('0');
    await settled();
  });

  it('hides and shows a curve from the legend above the chart', async () => {
    const before = await settled();
    const legend = lossChart().getByRole('list', { name: 'Curves of loss' });
    const entries = legend.getByRole('button');
    expect(await entries.count()).toBe(Number(before.curves));
    const first = entries.first();
    const name = (await first.textContent())!.trim();
    expect(before.curveNames!.split(',')).toContain(name);
    await first.click();
    await expect.poll(() => first.getAttribute('aria-pressed')).toBe('false');
    // Left out of the drawing: ECharts holds one line fewer, and not that one.
    await expect.poll(async () => Object.keys(JSON.parse((await data(canvas())).covered ?? '{}'))).not.toContain(name);
    expect(Object.keys(JSON.parse((await data(canvas())).covered ?? '{}'))).toHaveLength(Number(before.curves) - 1);
    await first.press('Enter'); // the keyboard does the same
    await expect.poll(() => first.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(async () => Object.keys(JSON.parse((await data(canvas())).covered ?? '{}'))).toContain(name);
  });

  it('restyles open charts when the theme changes, without a reload', async () => {
    // Pixels of the axes' colour (their lines and labels) on the plot's axes canvas: ECharts' own colours.
    const axisPixels = (hex: string) =>
      canvas().evaluate((el: HTMLElement, hex: string) => {
        const c = el.querySelector<HTMLCanvasElement>('canvas.chart-axes')!;
        const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
        const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!) < 12) n++;
        return n;
      }, hex);
    const [lightAxis, darkAxis] = ['#6E7079', '#B9B8CE'];
    expect(await axisPixels(lightAxis)).toBeGreaterThan(500);
    expect(await axisPixels(darkAxis)).toBe(0);
    await page.getByRole('radio', { name: 'Dark', exact: true }).check();
    await expect.poll(async () => (await data(canvas())).chartTheme).toBe('dark');
    expect(await axisPixels(darkAxis)).toBeGreaterThan(500);
    expect(await axisPixels(lightAxis)).toBe(0);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-dark.png') });
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-dark-1024.png') });
    await page.getByRole('radio', { name: 'Light', exact: true }).check();
    await expect.poll(async () => (await data(canvas())).chartTheme).toBe('light');
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'compare-light-1024.png') });
    await page.setViewportSize({ width: 1440, height: 900 });
  });
});
