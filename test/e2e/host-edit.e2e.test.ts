// A person changes hosts in Chromium: a new port or user takes effect at the next probe (the old
// connection is dropped), a Python without torch makes the launch dialog warn for demo-lora-torch and
// offer the project's saved recipe (after a reload too), and a host is removed after confirming.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let sshd: TestSshd;
let page: Page;
const dataDir = tempDir('tb-e2e-host-edit-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

const hostsTable = () => page.getByRole('table', { name: 'Hosts' });
const row = (name: string): Locator => hostsTable().locator('tr', { has: page.getByRole('cell', { name, exact: true }) });

async function openHosts(): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Hosts/ }).click();
  await hostsTable().getByText('this machine').waitFor();
}

async function edit(name: string, fields: Record<string, string>): Promise<void> {
  await page.getByRole('button', { name: `Edit ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Edit ${name}` });
  for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label, { exact: true }).fill(value);
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await expect.poll(() => dialog.count()).toBe(0);
}

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  sshd = await startSshd({ secondUser: true });
  expect(cli(['demo', 'seed', '--runs', '2', '--points', '200'], { dataDir }).code).toBe(0);
  const run = cli(['run', 'list', '--project', 'demo', '--json'], { dataDir }).json()[0].id;
  expect(cli(['project', 'set-recipe', 'demo', '--from-run', run], { dataDir }).code).toBe(0);
  expect(cli(['host', 'add', 'box', '--hostname', '127.0.0.1', '--port', String(sshd.port), '--user', sshd.user, '--identity', sshd.clientKey, '--python', '/usr/bin/python3'], { dataDir }).code).toBe(
    0,
  );
  expect(cli(['host', 'trust', 'box', '--fingerprint', sshd.hostKeyFingerprint], { dataDir }).code).toBe(0);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await sshd?.stop();
});

describe('editing hosts in the browser', () => {
  it('reconnects with a changed port or user at the next probe', { timeout: 120_000 }, async () => {
    await openHosts();
    await page.getByRole('button', { name: 'Probe box' }).click();
    await page.getByRole('region', { name: 'Probe of box' }).waitFor({ timeout: 40_000 });
    // The probe's connection stays pooled: only dropping it makes the wrong port show.
    await edit('box', { Port: '1' });
    await row('box').getByText(`${sshd.user}@127.0.0.1:1`).waitFor();
    await page.getByRole('button', { name: 'Probe box' }).click();
    await page
      .getByRole('region', { name: 'Notifications' })
      .getByText(/127\.0\.0\.1:1|unreachable|refused/i)
      .first()
      .waitFor({ timeout: 40_000 });
    await page.screenshot({ path: path.join(shots, 'hosts-edit-unreachable-light.png') });
    await edit('box', { Port: String(sshd.port), User: sshd.second!.user });
    await row('box').getByText(`${sshd.second!.user}@127.0.0.1:${sshd.port}`).waitFor();
    await page.getByRole('button', { name: 'Probe box' }).click();
    await page.getByRole('region', { name: 'Probe of box' }).waitFor({ timeout: 40_000 });
    expect(
      cli(['host', 'list', '--json'], { dataDir })
        .json()
        .find((h: { name: string }) => h.name === 'box'),
    ).toMatchObject({ user: sshd.second!.user, port: sshd.port });
  });

  it('says beside the field what is wrong, and keeps the dialog open', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Edit box' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit box' });
    await dialog.getByLabel('Run root', { exact: true }).fill('runs-here');
    await dialog.getByLabel('Port', { exact: true }).fill('many');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('The port must be a whole number').waitFor();
    await dialog.getByLabel('Port', { exact: true }).fill(String(sshd.port));
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/absolute path/)
      .waitFor();
    await page.screenshot({ path: path.join(shots, 'hosts-edit-error-light.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it("warns in the launch dialog when the host's probe has no torch for demo-lora-torch, and offers the saved recipe", { timeout: 60_000 }, async () => {
    // "python3 -S" skips site-packages: the probe finds no torch, whether or not this machine has it.
    await edit('local', { Python: 'python3 -S' });
    await row('local').getByText('python3 -S').waitFor();
    await page.getByRole('button', { name: 'Probe local' }).click();
    await page.getByRole('region', { name: 'Probe of local' }).getByText('torch missing').waitFor({ timeout: 40_000 });

    const check = async () => {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
      await page.getByRole('button', { name: 'Launch run' }).click();
      const dialog = page.getByRole('dialog', { name: 'Launch run' });
      await dialog.getByLabel('Project', { exact: true }).selectOption({ label: 'demo' });
      await dialog.getByLabel('Host', { exact: true }).selectOption('local');
      await dialog.getByLabel('Recipe', { exact: true }).selectOption('demo-lora-torch');
      const warning = dialog.getByRole('alert').filter({ hasText: 'demo-lora-torch cannot run on local' });
      await warning.waitFor();
      expect(await warning.textContent()).toContain('torch');
      return { dialog, warning };
    };
    const { dialog, warning } = await check();
    await page.screenshot({ path: path.join(shots, 'launch-host-lacks-light.png') });
    await dialog.getByRole('button', { name: 'Use the saved recipe' }).click();
    expect(await dialog.getByLabel('Recipe', { exact: true }).inputValue()).toBe('demo-lora-stdlib');
    expect(await dialog.getByLabel('steps', { exact: true }).inputValue()).toBe('200');
    await expect.poll(() => warning.count()).toBe(0);
    await page.keyboard.press('Escape');

    // The last probe is kept by the engine: a reload still knows what local lacks.
    await page.reload();
    const again = await check();
    await again.dialog.getByLabel('Recipe', { exact: true }).selectOption('demo-lora-stdlib');
    await expect.poll(() => again.warning.count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it("changes a cluster's job defaults in the same dialog; an emptied field goes back to SLURM's default", { timeout: 30_000 }, async () => {
    expect(cli(['host', 'add', 'cluster', '--hostname', 'login.example', '--slurm', '--partition', 'gpu', '--account', 'lab'], { dataDir }).code).toBe(0);
    await openHosts();
    await row('cluster').waitFor();
    await page.getByRole('button', { name: 'Edit cluster' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit cluster' });
    expect(await dialog.getByLabel('Default partition', { exact: true }).inputValue()).toBe('gpu');
    await dialog.getByLabel('Default partition', { exact: true }).fill('');
    await dialog.getByLabel('QOS', { exact: true }).fill('high');
    await page.screenshot({ path: path.join(shots, 'hosts-edit-cluster-light.png') });
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect
      .poll(
        () =>
          cli(['host', 'list', '--json'], { dataDir })
            .json()
            .find((h: { name: string }) => h.name === 'cluster').slurm,
      )
      .toEqual({ account: 'lab', qos: 'high' });
    expect(cli(['host', 'remove', 'cluster'], { dataDir }).code).toBe(0);
  });

  it('removes a host after confirmation; the built-in local host has no Remove', { timeout: 30_000 }, async () => {
    await openHosts();
    expect(await page.getByRole('button', { name: 'Remove local' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Remove box' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove box?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await row('box').count()).toBe(1);
    await page.getByRole('button', { name: 'Remove box' }).click();
    await page.screenshot({ path: path.join(shots, 'hosts-remove-confirm-light.png') });
    await confirm.getByRole('button', { name: 'Remove host' }).click();
    await expect.poll(() => row('box').count()).toBe(0);
    expect(
      cli(['host', 'list', '--json'], { dataDir })
        .json()
        .map((h: { name: string }) => h.name),
    ).toEqual(['local']);
  });
});
