// A one-point loss spike among 1,000,000 points is in what the chart draws at full zoom-out, and
// zooming re-queries exactly the window the axis shows: random wheel zooms and drags on the canvas
// keep axis, query and drawing in agreement, every point of the window reaches the chart, the spike
// stays visible, and the spot under the cursor stays there.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let spike: { runId: string; step: number; value: number };
const dataDir = tempDir('tb-e2e-spike-');

beforeAll(async () => {
  // 1,000,000 steps of 4 metrics: about 20 s alone, longer beside the other test files.
  const seeded = cli(['demo', 'seed', '--runs', '1', '--points', '1000000', '--json'], { dataDir, timeoutMs: 170_000 });
  expect(seeded.code, seeded.stderr).toBe(0);
  spike = seeded.json().spikes[0];
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(served.url);
}, 240_000);

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const lossChart = () => page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');

interface State {
  from: number | null;
  to: number | null;
  axisFrom: number;
  axisTo: number;
  yMax: number;
  drawnFrom: number;
  drawnTo: number;
  drawnMax: number;
  plotLeft: number;
  plotWidth: number;
  covered: Record<string, number>;
  offScale: number[];
}

/** What the chart shows, as the page wrote it from the ECharts instance after its last render. */
async function state(chart: ReturnType<typeof lossChart>): Promise<State & { pending: boolean }> {
  return chart.evaluate((el: HTMLElement) => {
    const d = el.dataset;
    const n = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
    return {
      pending: d.pending === 'yes',
      from: n(d.from),
      to: n(d.to),
      axisFrom: Number(d.axisFrom),
      axisTo: Number(d.axisTo),
      yMax: Number(d.yMax),
      drawnFrom: Number(d.drawnFrom),
      drawnTo: Number(d.drawnTo),
      drawnMax: Number(d.drawnMax),
      plotLeft: Number(d.plotLeft),
      plotWidth: Number(d.plotWidth),
      covered: JSON.parse(d.covered ?? '{}') as Record<string, number>,
      offScale: (d.offScale ?? '').split(',').filter(Boolean).map(Number),
    };
  });
}

/**
 * The state once the last window asked for is answered and drawn: no query pending, and the same
 * state read twice a frame apart (the assertions then check that state; this does not assume it).
 */
async function settled(chart: ReturnType<typeof lossChart>): Promise<State> {
  let previous = '';
  let last: State | undefined;
  await expect
    .poll(
      async () => {
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const { pending, ...s } = await state(chart);
        const json = JSON.stringify(s);
        const stable = !pending && s.plotWidth > 0 && json === previous;
        previous = json;
        last = s;
        return stable;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return last!;
}

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('charts of a 1,000,000-point run', () => {
  it('draw the one-point spike at full zoom-out', async () => {
    await page.goto(`${served.origin}/#/runs/${spike.runId}`);
    const chart = page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(100);
    const points = Number(await chart.getAttribute('data-points'));
    expect(points).toBeLessThan(2000); // buckets, not a million points
    expect(Number(await chart.getAttribute('data-max'))).toBeCloseTo(spike.value, 6);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'run-million-points-light.png') });
  });

  it('re-queries at higher resolution when zoomed, and keeps the spike whenever it is in view', async () => {
    const chart = page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');
    const box = (await chart.boundingBox())!;
    const plotLeft = box.x + Number(await chart.getAttribute('data-plot-left'));
    const plotWidth = Number(await chart.getAttribute('data-plot-width'));
    await page.mouse.click(plotLeft + 4, box.y + box.height / 2); // focus: the plain wheel zooms a focused chart
    await page.mouse.move(plotLeft + (spike.step / 1_000_000) * plotWidth, box.y + box.height / 2);
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await chart.getAttribute('data-from')) !== '', { timeout: 10_000 }).toBe(true);
    await expect
      .poll(
        async () => {
          const from = Number(await chart.getAttribute('data-from'));
          const to = Number(await chart.getAttribute('data-to'));
          const max = Number(await chart.getAttribute('data-max'));
          const inView = spike.step >= from && spike.step <= to;
          return { narrower: to - from < 900_000, consistent: inView ? Math.abs(max - spike.value) < 1e-6 : max < spike.value };
        },
        { timeout: 10_000 },
      )
      .toEqual({ narrower: true, consistent: true });
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'run-million-points-zoomed-light.png') });
  });

  it('zooms and pans true: after each of 10 random wheel zooms and drags, axis = query = drawing, every point in, the spike visible', async () => {
    await page.goto(`${served.origin}/#/runs/${spike.runId}`);
    const chart = lossChart();
    await settled(chart);
    const box = (await chart.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2); // focus (a click on the plot; the legend is at the top)
    const rand = rng(14);
    let spikeChecked = 0;
    for (let i = 0; i < 10; i++) {
      const s = await state(chart);
      // Half the time near the spike (while it is in view), so most windows keep it; else anywhere.
      const spikeX = s.plotLeft + ((spike.step - s.axisFrom) / (s.axisTo - s.axisFrom)) * s.plotWidth;
      const near = i % 2 === 0 && spikeX > 2 && spikeX < s.plotWidth + s.plotLeft - 2;
      const x = Math.round(box.x + (near ? Math.min(s.plotLeft + s.plotWidth - 2, Math.max(s.plotLeft + 2, spikeX + (rand() - 0.5) * 20)) : s.plotLeft + 2 + rand() * (s.plotWidth - 4)));
      const y = Math.round(box.y + box.height / 2);
      await page.mouse.move(x, y);
      if (i % 3 === 2) {
        // A drag to pan, by up to a third of the plot either way.
        await page.mouse.down();
        await page.mouse.move(x + Math.round((rand() - 0.5) * (s.plotWidth / 1.5)), y, { steps: 4 });
        await page.mouse.up();
      } else {
        // Mostly in, sometimes out; up to three notches.
        const delta = (rand() < 0.75 ? -1 : 1) * (100 + Math.round(rand() * 300));
        await page.mouse.wheel(0, delta);
      }
      const after = await settled(chart);
      const px = (after.axisTo - after.axisFrom) / after.plotWidth; // one pixel, in steps
      // The window asked for is the axis' extent, read from the ECharts instance.
      const win = after.from === null ? { from: 1, to: 1_000_000 } : { from: after.from, to: after.to! };
      expect(Math.abs(after.axisFrom - win.from), `zoom ${i}: axis start`).toBeLessThanOrEqual(px);
      expect(Math.abs(after.axisTo - win.to), `zoom ${i}: axis end`).toBeLessThanOrEqual(px);
      // The lines reach both ends of the axis (no blank strip, nothing cut at the edge).
      expect(after.drawnFrom, `zoom ${i}: drawn from`).toBeLessThanOrEqual(after.axisFrom + px);
      expect(after.drawnTo, `zoom ${i}: drawn to`).toBeGreaterThanOrEqual(after.axisTo - px);
      // Every point of the window (steps 1..1,000,000, one point each) is in what the loss line stands for.
      const inWindow = Math.min(1_000_000, Math.floor(win.to)) - Math.max(1, Math.ceil(win.from)) + 1;
      expect(after.covered.loss, `zoom ${i}: points drawn of ${inWindow}`).toBe(inWindow);
      if (spike.step >= win.from && spike.step <= win.to) {
        spikeChecked++;
        expect(after.drawnMax, `zoom ${i}: spike drawn`).toBeCloseTo(spike.value, 6);
        // On the plot, or marked at its top edge within a few pixels of its step.
        const onPlot = after.yMax >= spike.value;
        const marked = after.offScale.some((mx) => Math.abs(mx - spike.step) <= 3 * px + 1);
        expect(onPlot || marked, `zoom ${i}: spike visible`).toBe(true);
      }
    }
    // The last window is drawn as the test saw it.
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'run-random-zoom-light.png') });
    expect(spikeChecked).toBeGreaterThanOrEqual(3);
  });

  it('keeps the spot under the cursor there through 20 wheel zooms, down to single steps', async () => {
    const chart = lossChart();
    await chart.dblclick(); // double-click resets the zoom
    let s = await settled(chart);
    expect(s.from).toBeNull();
    const box = (await chart.boundingBox())!;
    const x = Math.round(box.x + s.plotLeft + s.plotWidth * 0.37);
    await page.mouse.move(x, Math.round(box.y + box.height / 2));
    const under = (st: State) => st.axisFrom + ((x - box.x - st.plotLeft) / st.plotWidth) * (st.axisTo - st.axisFrom);
    const spot = under(s);
    for (let i = 0; i < 20; i++) {
      await page.mouse.wheel(0, -300);
      s = await settled(chart);
      const px = (s.axisTo - s.axisFrom) / s.plotWidth;
      expect(Math.abs(under(s) - spot), `zoom ${i}`).toBeLessThanOrEqual(Math.max(px, 1e-6));
    }
    expect(s.axisTo - s.axisFrom).toBeLessThan(5); // a few steps across the whole plot
    expect(s.covered.loss).toBeLessThanOrEqual(5);
    // Tooltips name whole steps.
    await page.mouse.move(x + 3, Math.round(box.y + box.height / 2) + 5);
    const tip = page.locator('.chart-tip-x').first();
    await expect.poll(async () => tip.textContent(), { timeout: 5000 }).toMatch(/^steps? [\d,]+(–[\d,]+)?/);
    expect(await tip.textContent()).not.toMatch(/\.\d/);
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'run-deep-zoom-light.png') });
    // The reset control shows all steps again.
    await page.getByRole('button', { name: 'Reset zoom of the Loss chart' }).click();
    s = await settled(chart);
    expect(s.from).toBeNull();
    expect(s.axisFrom).toBe(1);
    expect(s.axisTo).toBe(1_000_000);
  });

  it('lets the wheel scroll the page over an unfocused chart, and says how to zoom', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.goto(`${served.origin}/#/runs/${spike.runId}`);
    const chart = lossChart();
    await settled(chart);
    await page.getByRole('heading', { level: 1 }).first().click(); // focus elsewhere
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const scrollTop = () => page.evaluate(() => Math.max(document.scrollingElement?.scrollTop ?? 0, ...[...document.querySelectorAll('*')].map((e) => e.scrollTop)));
    const before = await scrollTop();
    await page.mouse.wheel(0, 300);
    await expect.poll(scrollTop).toBeGreaterThan(before);
    await page.getByText('Click the chart (or hold Ctrl) to zoom with the wheel').first().waitFor();
    expect((await state(chart)).from).toBeNull(); // not zoomed
    // With Ctrl held the wheel zooms without a click.
    const now = (await chart.boundingBox())!;
    await page.mouse.move(now.x + now.width / 2, now.y + now.height / 2);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -300);
    await page.keyboard.up('Control');
    await expect.poll(async () => (await settled(chart)).from).not.toBeNull();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('lists the spike as a marker, and choosing it zooms the loss chart to its step', async () => {
    await page.goto(`${served.origin}/#/runs/${spike.runId}`);
    const marker = page.getByRole('region', { name: 'Markers' }).getByRole('button', { name: new RegExp(`loss spike step ${spike.step}$`) });
    await marker.click();
    const chart = page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');
    expect(Number(await chart.getAttribute('data-marks'))).toBeGreaterThanOrEqual(1); // drawn on the chart too
    await expect.poll(async () => Number(await chart.getAttribute('data-from'))).toBe(Math.max(0, spike.step - 100));
    await expect.poll(async () => Number(await chart.getAttribute('data-max'))).toBeCloseTo(spike.value, 6);
    // The axis shows those 200 steps, not the whole run with the answer squeezed against an edge.
    const s = await settled(chart);
    expect(s.axisFrom).toBe(Math.max(0, spike.step - 100));
    expect(s.axisTo).toBe(spike.step + 100);
  });

  it('refuses to export a million-point run in the browser and names the CLI command instead', async () => {
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `tunebench run metrics ${spike.runId} --format csv` })
      .waitFor();
  });

  it('proposes the run as production candidate from its page; the CLI lists it', async () => {
    await page.getByRole('button', { name: 'Propose as production candidate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Propose as production candidate' });
    await dialog.getByRole('button', { name: 'Propose' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: /Say why/ })
      .waitFor();
    await dialog.getByLabel('Reason', { exact: true }).fill('Lowest eval loss of the sweep; the one spike recovered.');
    await dialog.getByRole('button', { name: 'Propose' }).click();
    await page.getByText(/Proposed as production candidate/).waitFor();
    const listed = cli(['candidate', 'list', '--project', 'demo', '--json'], { dataDir }).json();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ runId: spike.runId, reason: 'Lowest eval loss of the sweep; the one spike recovered.' });
    await page.goto(`${served.origin}/#/projects/${listed[0].projectId}`);
    await page.getByRole('table', { name: 'Production candidates' }).waitFor();
    await page.screenshot({ path: path.join(ROOT, SCREENSHOT_DIR, 'project-candidates-light.png') });
  });
});
