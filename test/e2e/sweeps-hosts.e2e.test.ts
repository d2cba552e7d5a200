// Two sweep pages a person watches without reloading (they follow sweeps.changed):
// - an ASHA sweep across two SSH hosts, which the app drives: the page says so beside its status, and
//   its trials start and end on both hosts as the app decides;
// - a grid sweep on this machine with one diverged trial (eval_loss 3e10 beside 3.6): the "objective
//   over trials" chart draws the other trials in a readable range and marks the diverged one at the edge.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

const dataDir = tempDir('tb-e2e-msweeps-');
const shots = path.join(ROOT, SCREENSHOT_DIR);
const roots = { gpu1: tempDir('tb-e2e-msweeps-gpu1-'), gpu2: tempDir('tb-e2e-msweeps-gpu2-') };
let browser: Browser;
let served: Served;
let page: Page;
let sshd: TestSshd;

function ok(args: string[]) {
  const r = cli(args, { dataDir, env: { SSH_AUTH_SOCK: '' } });
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

function sweepFile(name: string, lines: string[]): string {
  const file = path.join(tempDir(), `${name}.yaml`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The y extent the objective chart drew and the trials its off-scale marks stand for (written on its element, as the run charts do). */
const drawnObjective = () =>
  page
    .getByRole('region', { name: 'Objective over trials' })
    .locator('.sweep-chart')
    .evaluate((el: HTMLElement) => ({ yMin: Number(el.dataset.yMin), yMax: Number(el.dataset.yMax), offScale: el.dataset.offScale ? el.dataset.offScale.split(',').map(Number) : [] }));

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  sshd = await startSshd();
  ok(['project', 'create', 'spread']);
  ok(['project', 'set-objective', 'spread', '--metric', 'eval_loss', '--goal', 'minimize']);
  for (const [name, root] of Object.entries(roots)) {
    ok(['host', 'add', name, '--hostname', '127.0.0.1', '--port', String(sshd.port), '--user', sshd.user, '--identity', sshd.clientKey, '--python', '/usr/bin/python3', '--run-root', root]);
    ok(['host', 'trust', name, '--fingerprint', sshd.hostKeyFingerprint]);
  }
  browser = await launchChromium();
  served = await serve(dataDir, { SSH_AUTH_SOCK: '' });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await sshd?.stop();
});

describe('a sweep across two hosts', () => {
  it('says the app drives it, and its page follows the trials the app starts and ends on both hosts', async () => {
    const file = sweepFile('two-hosts', [
      'project: spread',
      'hosts: [gpu1, gpu2]',
      'recipe: demo-lora-stdlib',
      'name: two-hosts',
      'method: {name: asha, eta: 3, min_resource: 10, max_resource: 30, resource: step}',
      'trials: 4',
      'concurrency: 2',
      'seed: 5',
      'params:',
      '  lr: {loguniform: [0.3, 8.0]}',
      '  eval_every: 10',
      '  sleep_per_step: 0.05',
    ]);
    const created = JSON.parse(ok(['sweep', 'create', file, '--json']).stdout) as { id: string; drivenBy: string };
    expect(created.drivenBy).toBe('app');
    // Opened while it is a draft: the page then changes only through what the engine says.
    await page.goto(`${served.url}#/sweeps/${created.id}`);
    const heading = page.getByRole('heading', { name: /^Sweep two-hosts/ });
    await heading.waitFor();
    await expect.poll(() => heading.textContent()).toContain('driven by this app: it waits while the app is closed');
    await page.getByText(/on gpu1, gpu2 · ASHA/).waitFor();
    ok(['sweep', 'start', 'two-hosts']);
    const trials = page.getByRole('region', { name: 'Trials', exact: true });
    await trials.getByText('running').first().waitFor({ timeout: 60_000 });
    await page.getByText(/ · driven by this app: it waits while the app is closed$/).waitFor();
    await page.screenshot({ path: path.join(shots, 'sweep-hosts-running-1440.png') });
    await page.locator('.status-finished').waitFor({ timeout: 120_000 });
    const decisions = page.getByRole('region', { name: 'Decisions' });
    await decisions
      .getByText(/started on gpu1: /)
      .first()
      .waitFor();
    await decisions
      .getByText(/started on gpu2: /)
      .first()
      .waitFor();
    await expect.poll(() => trials.getByText('waiting for a slot').count()).toBe(0);
    for (const [w, h] of [
      [1440, 900],
      [1024, 700],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await heading.scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(shots, `sweep-hosts-done-${w}-${scheme}.png`) });
        // Nothing runs off sideways at this width.
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  }, 240_000);
});

describe('a sweep across two hosts from the form', () => {
  it('is started with a second host ticked, says the app drives it, and stops from its page', async () => {
    await page.goto(`${served.url}#/sweeps`);
    await page.getByRole('button', { name: 'New sweep' }).click();
    const dialog = page.getByRole('dialog', { name: 'New sweep' });
    await dialog.getByLabel('Project').selectOption('spread');
    await dialog.getByLabel('Host', { exact: true }).selectOption('gpu1');
    await dialog.getByRole('group', { name: 'Also on' }).getByLabel('gpu2').check();
    await dialog.getByText(/Trials run here and on gpu2: this app starts, judges and stops them/).waitFor();
    await dialog.getByLabel('Trials').fill('2');
    await dialog.getByLabel('At a time').fill('2');
    await dialog.getByLabel('Search space').fill('lr: {loguniform: [0.3, 8.0]}\neval_every: 10\nsleep_per_step: 0.2');
    await page.screenshot({ path: path.join(shots, 'sweep-hosts-form-1440.png') });
    await dialog.getByRole('button', { name: 'Start sweep' }).click();
    const heading = page.getByRole('heading', { name: /^Sweep / });
    await heading.waitFor();
    await expect.poll(() => heading.textContent()).toContain('driven by this app: it waits while the app is closed');
    const decisions = page.getByRole('region', { name: 'Decisions' });
    await decisions.getByText(/started on gpu1: /).waitFor({ timeout: 60_000 });
    await decisions.getByText(/started on gpu2: /).waitFor();
    await page.getByRole('button', { name: 'Stop…' }).click();
    await page.getByRole('button', { name: 'Stop sweep' }).click();
    await page.locator('.status-stopped').waitFor({ timeout: 60_000 });
    await expect.poll(() => decisions.getByText(/: stopped with the sweep$/).count()).toBe(2);
    const trials = page.getByRole('region', { name: 'Trials', exact: true });
    await expect.poll(() => trials.getByText('running').count()).toBe(0);
  }, 120_000);
});

describe('the objective over trials', () => {
  it('is not flattened by one diverged trial: the rest fill the plot, the diverged one is marked at the top edge', async () => {
    const file = sweepFile('diverged', [
      'project: spread',
      'host: local',
      'recipe: demo-lora-stdlib',
      'name: diverged',
      'method: {name: grid}',
      'concurrency: 5',
      'params:',
      '  alpha: {choice: [2, 4, 6, 8, 100]}',
      '  lr: 2.0',
      '  steps: 30',
      '  eval_every: 10',
    ]);
    const created = JSON.parse(ok(['sweep', 'create', file, '--json']).stdout) as { id: string };
    await page.goto(`${served.url}#/sweeps/${created.id}`);
    await page.getByRole('heading', { name: /^Sweep diverged/ }).waitFor();
    ok(['sweep', 'start', 'diverged']);
    await page.locator('.status-finished').waitFor({ timeout: 120_000 });
    const region = page.getByRole('region', { name: 'Objective over trials' });
    await region.scrollIntoViewIfNeeded();
    // The bulk (about 3.6) sets the axis; the diverged trial 5 (about 3e10) is one mark at the edge.
    await expect.poll(async () => (await drawnObjective()).offScale, { timeout: 10_000 }).toEqual([5]);
    const drawn = await drawnObjective();
    expect(drawn.yMax).toBeLessThan(3.7);
    expect(drawn.yMin).toBeGreaterThan(3.4);
    // Every other trial is inside the drawn range: the best (lowest) one too.
    const values = (await page.getByRole('region', { name: 'Trials', exact: true }).locator('tbody tr td:nth-child(4)').allTextContents()).map(Number);
    expect(values.filter((v) => v < 100).every((v) => v >= drawn.yMin && v <= drawn.yMax)).toBe(true);
    expect(values.filter((v) => v > 1e9)).toHaveLength(1);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await region.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(shots, `sweep-objective-outlier-1440-${scheme}.png`) });
    }
    await page.setViewportSize({ width: 1024, height: 700 });
    await region.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'sweep-objective-outlier-1024-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: path.join(shots, 'sweep-objective-outlier-1024-light.png') });
  }, 180_000);
});
