// Exports every metric point of a run from its page, as CSV and JSONL, equal to what the CLI exports.
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { cli, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
let runId: string;
const dataDir = tempDir('tb-e2e-export-');

beforeAll(async () => {
  runId = cli(['demo', 'seed', '--runs', '1', '--points', '300', '--json'], { dataDir }).json().runIds[0];
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage();
  await page.goto(served.url);
});
afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('metric export from the run page', () => {
  it('downloads every point as CSV and JSONL, the same as the CLI', async () => {
    await page.goto(`${served.origin}/#/runs/${runId}`);
    for (const format of ['csv', 'jsonl'] as const) {
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: `Export ${format.toUpperCase()}` }).click();
      const file = await (await download).path();
      const fromUi = fs.readFileSync(file!, 'utf8');
      const fromCli = cli(['run', 'metrics', runId, '--format', format], { dataDir }).stdout;
      expect(fromUi).toBe(fromCli);
      // Both come from one writer, so check the file against what was stored, not only the CLI.
      const stored = cli(['run', 'show', runId, '--no-sync', '--json'], { dataDir }).json().metricPoints as number;
      const lines = fromUi.trimEnd().split('\n');
      if (format === 'csv') {
        expect(lines[0]).toBe('stream,seq,ts,step,kind,name,value');
        expect(lines).toHaveLength(1 + stored);
        expect(lines.slice(1).every((l) => /^metrics,\d+,[\d.e+]+,\d+,\w+,\w+,-?[\d.e+-]*$/.test(l))).toBe(true);
      } else {
        expect(lines).toHaveLength(stored);
        expect(Object.keys(JSON.parse(lines[0]!)).sort()).toEqual(['kind', 'name', 'seq', 'step', 'stream', 'ts', 'value']);
      }
    }
    expect(cli(['run', 'show', runId, '--no-sync', '--json'], { dataDir }).json().metricPoints).toBeGreaterThan(300); // 300 steps, several metrics
  });
});
