// A one-point loss spike among 1,000,000 points is in what the chart draws at full zoom-out,
// and zooming in re-queries at higher resolution.
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
    const plotLeft = box.x + 56;
    const plotWidth = box.width - 56 - 16;
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

  it('lists the spike as a marker, and choosing it zooms the loss chart to its step', async () => {
    await page.goto(`${served.origin}/#/runs/${spike.runId}`);
    const marker = page.getByRole('region', { name: 'Markers' }).getByRole('button', { name: new RegExp(`loss spike step ${spike.step}$`) });
    await marker.click();
    const chart = page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');
    expect(Number(await chart.getAttribute('data-marks'))).toBeGreaterThanOrEqual(1); // drawn on the chart too
    await expect.poll(async () => Number(await chart.getAttribute('data-from'))).toBe(Math.max(0, spike.step - 100));
    await expect.poll(async () => Number(await chart.getAttribute('data-max'))).toBeCloseTo(spike.value, 6);
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
