// A person adds an SSH host in Chromium, trusts its key, launches a demo run from the form,
// watches its log and loss chart update, and cancels another run.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let sshd: TestSshd;
let page: Page;
const dataDir = tempDir('tb-e2e-runs-');
const runRoot = tempDir('tb-e2e-remote-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  sshd = await startSshd();
  expect(cli(['project', 'create', 'tiny-lora'], { dataDir }).code).toBe(0);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(served.url);
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await sshd?.stop();
});

/** Launches the custom recipe on the SSH host "box" from the Runs page's form. */
async function launchCustom(command: string): Promise<void> {
  await page.getByRole('link', { name: '← Runs' }).click();
  await page.getByRole('button', { name: 'Launch run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Launch run' });
  await dialog.getByLabel('Host', { exact: true }).selectOption('box');
  await dialog.getByLabel('Recipe', { exact: true }).selectOption('custom');
  await dialog.getByLabel('command', { exact: true }).fill(command);
  await dialog.getByRole('button', { name: 'Launch' }).click();
}

describe('remote runs in the browser', () => {
  it('adds an SSH host, shows its fingerprint, and probes it once trusted', { timeout: 60_000 }, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Hosts/ }).click();
    await page.getByRole('table', { name: 'Hosts' }).getByText('this machine').waitFor();
    await page.getByRole('button', { name: 'Add SSH host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add SSH host' });
    await dialog.getByLabel('Name', { exact: true }).fill('box');
    await dialog.getByLabel('Hostname', { exact: true }).fill('127.0.0.1');
    await dialog.getByLabel('Port', { exact: true }).fill(String(sshd.port));
    await dialog.getByLabel('User', { exact: true }).fill(sshd.user);
    await dialog.getByLabel('Key file', { exact: true }).fill(sshd.clientKey);
    await dialog.getByLabel('Python', { exact: true }).fill('/usr/bin/python3');
    await dialog.getByLabel('Run root', { exact: true }).fill(runRoot);
    await dialog.getByRole('button', { name: 'Add host' }).click();
    const trust = page.getByRole('dialog', { name: 'Trust box?' });
    await trust.waitFor();
    expect(await trust.getByLabel('Presented fingerprint', { exact: true }).textContent()).toBe(sshd.hostKeyFingerprint);
    await page.screenshot({ path: path.join(shots, 'hosts-trust-light.png') });
    await trust.getByRole('button', { name: 'Trust this key' }).click();
    await page.getByRole('region', { name: 'Probe of box' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(shots, 'hosts-probed-light.png') });
  });

  it('launches a demo run from the form and shows its log and loss chart live', { timeout: 90_000 }, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
    await page.getByRole('button', { name: 'Launch run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Launch run' });
    await dialog.getByLabel('Host', { exact: true }).selectOption('box');
    await dialog.getByLabel('Recipe', { exact: true }).selectOption('demo-lora-stdlib');
    await dialog.getByLabel('steps', { exact: true }).fill('many');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: /number/i })
      .first()
      .waitFor();
    await dialog.getByLabel('steps', { exact: true }).fill('150');
    await dialog.getByLabel('eval_every', { exact: true }).fill('10');
    await dialog.getByLabel('sleep_per_step', { exact: true }).fill('0.03');
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await page.getByRole('log', { name: 'Run log' }).waitFor();
    const log = page.getByRole('log', { name: 'Run log' });
    await expect.poll(async () => (await log.locator('.log-line').count()) > 3, { timeout: 15_000 }).toBe(true);
    const chart = page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');
    await chart.waitFor({ timeout: 15_000 });
    const early = Number(await chart.getAttribute('data-points'));
    await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 15_000 }).toBeGreaterThan(early);
    await page.screenshot({ path: path.join(shots, 'run-live-light.png') });
    await page.getByText('succeeded', { exact: true }).first().waitFor({ timeout: 30_000 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await page.getByRole('figure', { name: 'Loss chart' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'run-done-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('marks a traceback in the log; choosing the marker shows its line', { timeout: 90_000 }, async () => {
    await launchCustom('echo starting; /usr/bin/python3 -c "1/0"');
    await page.getByText('failed', { exact: true }).first().waitFor({ timeout: 30_000 });
    const marker = page.getByRole('region', { name: 'Markers' }).getByRole('button', { name: /traceback line 2/ });
    // The marker says what went wrong: the exception Python ended the traceback with, not its header.
    const listed = page
      .getByRole('region', { name: 'Markers' })
      .locator('li')
      .filter({ hasText: /traceback line 2/ });
    await listed.locator('.marker-exception', { hasText: 'ZeroDivisionError: division by zero' }).waitFor();
    expect(await listed.textContent()).not.toContain('most recent call last');
    await marker.click();
    await page.locator('.log-line.highlighted[data-line="2"]').filter({ hasText: 'Traceback (most recent call last):' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'run-markers-light.png') });
  });

  it("places a loss spike in the log by the supervisor's clock; clicking its mark on the chart jumps there", { timeout: 90_000 }, async () => {
    // 80 steps over ~3 s, a spike at step 60, a log line per step.
    const program = "import tunebench, time; [(tunebench.log({'loss': 50.0 if i == 60 else 2.0 + 0.001 * (i % 5)}, step=i), print('step', i, flush=True), time.sleep(0.04)) for i in range(1, 81)]";
    await launchCustom(`/usr/bin/python3 -c "${program}"`);
    await page.getByText('80 log lines, 80 metric points').waitFor({ timeout: 30_000 });
    await page.locator('.status', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
    const marker = page.getByRole('region', { name: 'Markers' }).getByRole('button', { name: /loss spike step 60 · line ≈\d+/ });
    await marker.waitFor({ timeout: 10_000 });
    const line = Number(/line ≈(\d+)/.exec((await marker.textContent())!)![1]);
    // Written while steps 57-60 were logged, give or take the clock's second.
    expect(line).toBeGreaterThan(1);
    expect(line).toBeLessThanOrEqual(80);
    const chart = page.getByRole('figure', { name: 'Loss chart' }).locator('.chart-canvas');
    await expect.poll(async () => chart.getAttribute('data-mark-x')).toMatch(/^\d+$/);
    const box = (await chart.boundingBox())!;
    await page.mouse.click(box.x + Number(await chart.getAttribute('data-mark-x')), box.y + box.height / 2);
    await page.locator(`.log-line.highlighted[data-line="${line}"]`).waitFor({ timeout: 5000 });
    await page.screenshot({ path: path.join(shots, 'run-mark-to-log-light.png') });
  });

  it('cancels a running run once the person confirms', { timeout: 90_000 }, async () => {
    await launchCustom('echo started; sleep 300');
    await page.getByText('running', { exact: true }).first().waitFor({ timeout: 15_000 });
    await page.getByText(/^not yet · running for \d+ s$/).waitFor(); // no end yet: how long it has run so far
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const confirm = page.getByRole('dialog', { name: /^Cancel run / });
    await confirm.getByRole('button', { name: 'Keep running' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await page.locator('.status', { hasText: 'running' }).count()).toBe(1); // nothing was cancelled
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.screenshot({ path: path.join(shots, 'run-cancel-confirm-light.png') });
    await confirm.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByText('cancelled', { exact: true }).first().waitFor({ timeout: 40_000 });
    await page.getByRole('link', { name: '← Runs' }).click();
    await page.getByRole('table', { name: 'Runs' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'runs-list-light.png') });
    const runs = cli(['run', 'list', '--json'], { dataDir }).json();
    expect(runs.map((r: { status: string }) => r.status).sort()).toEqual(['CANCELLED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
  });
});
