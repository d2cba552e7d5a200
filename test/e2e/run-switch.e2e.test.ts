// Opening another run while the last one's log is still loading: the log shows the run on the page
// only. (Its fetch was once not tied to its run: the old run's lines went on arriving, into the new
// run's view, and the new run's own lines were never asked for.)
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { cli, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-switch-');
const LONG = 200_000;
let long: string;
let short: string;
/** runs.logs calls of the long run that have no answer yet, by frame id. */
const unanswered = new Set<number>();

const ok = (args: string[]) => {
  const r = cli(args, { dataDir, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const launch = (command: string): string => {
  const id = JSON.parse(ok(['run', 'launch', '--project', 'p', '--host', 'local', '--recipe', 'custom', '--param', `command=${command}`, '--json']).stdout).id as string;
  ok(['run', 'wait', id, '--timeout', '100']);
  return id;
};

beforeAll(async () => {
  ok(['project', 'create', 'p']);
  ok(['host', 'set', 'local', '--python', '/usr/bin/python3']);
  long = launch(`seq -f 'long-run line %g' 1 ${LONG}`); // 40 fetches of 5,000 lines
  short = launch("seq -f 'short-run line %g' 1 3");
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { id?: number; method?: string; input?: { id?: string } };
      if (frame.method === 'runs.logs' && frame.input?.id === long) unanswered.add(frame.id!);
    });
    ws.on('framereceived', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { id?: number };
      if (typeof frame.id === 'number') unanswered.delete(frame.id);
    });
  });
  await page.goto(served.url);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('switching runs while a log loads', () => {
  it("shows the new run's lines only, whatever the old run's fetch still brings", async () => {
    // In the page, to switch as soon as the first lines show (a test's round trip would let it finish).
    const seenBeforeSwitch = await page.evaluate(
      async ({ long, short }) => {
        location.hash = `#/runs/${long}`;
        const count = () => Number(/(\d+) lines/.exec(document.querySelector('[aria-labelledby="log-heading"] .toolbar .muted')?.textContent ?? '')?.[1] ?? 0);
        while (count() === 0) await new Promise(requestAnimationFrame);
        const seen = count();
        location.hash = `#/runs/${short}`;
        return seen;
      },
      { long, short },
    );
    expect(seenBeforeSwitch).toBeLessThan(LONG); // the long log was still loading when the run changed

    const log = page.getByRole('log', { name: 'Run log' });
    await page.getByRole('heading', { name: short }).waitFor();
    await log.getByText('short-run line 3').waitFor({ timeout: 10_000 });
    // Every answer the long run's fetch was waiting for has come: whatever it would show, it shows now.
    await expect.poll(() => unanswered.size, { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.locator('[aria-labelledby="log-heading"] .toolbar .muted').textContent()).toBe('3 lines');
    const text = await log.innerText();
    expect(text).not.toContain('long-run');
    expect(text.match(/short-run line \d/g)).toEqual(['short-run line 1', 'short-run line 2', 'short-run line 3']);
  });

  it('shows the whole of the long log when it is opened again', async () => {
    await page.evaluate((id) => (location.hash = `#/runs/${id}`), long);
    await expect.poll(() => page.locator('[aria-labelledby="log-heading"] .toolbar .muted').textContent(), { timeout: 30_000 }).toBe(`${LONG} lines`);
    expect(await page.getByRole('log', { name: 'Run log' }).innerText()).not.toContain('short-run');
  });
});
