// The CLI beside an open app (browser mode): hosts, registries, suites and candidates it adds,
// changes or removes show on the page that lists them, without a reload.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { cli, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let page: Page;
const dataDir = tempDir('tb-e2e-elsewhere-');
let runId: string;

const ok = (args: string[]) => {
  const r = cli(args, { dataDir });
  expect(r.code, r.stderr).toBe(0);
  return r;
};

beforeAll(async () => {
  runId = JSON.parse(ok(['demo', 'seed', '--runs', '1', '--points', '20', '--json']).stdout).runIds[0];
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(served.url);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  // Gone after a reload: each test checks it is still there, so what it saw came without one.
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const notReloaded = async () => expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
const open = (area: RegExp) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: area }).click();

describe('changes made from the CLI while the app is open', () => {
  it('adds, changes and removes a row of the Hosts page', async () => {
    await open(/Hosts/);
    const hosts = page.getByRole('table', { name: 'Hosts' });
    const row = hosts.getByRole('row').filter({ hasText: 'gpu-box' });
    await hosts.getByRole('row').filter({ hasText: 'local' }).waitFor();
    expect(await row.count()).toBe(0);

    ok(['host', 'add', 'gpu-box', '--hostname', 'gpu-box.example', '--user', 'me']);
    await row.waitFor({ timeout: 5000 });
    expect(await row.textContent()).toContain('me@gpu-box.example:22');

    ok(['host', 'set', 'gpu-box', '--python', '/opt/py/bin/python3']);
    await expect.poll(() => row.textContent(), { timeout: 5000 }).toContain('/opt/py/bin/python3');

    ok(['host', 'remove', 'gpu-box']);
    await row.waitFor({ state: 'detached', timeout: 5000 });
    await notReloaded();
  });

  it('shows a registry added from the CLI, and takes it away when removed', async () => {
    await open(/Registry/);
    await page.getByRole('heading', { name: 'No registries yet' }).waitFor();
    ok(['registry', 'add', 'team', '--oci', 'https://registry.example/team']);
    const section = page.getByRole('region', { name: 'Registry team' });
    await section.waitFor({ timeout: 5000 });
    ok(['registry', 'remove', 'team']);
    await section.waitFor({ state: 'detached', timeout: 5000 });
    await notReloaded();
  });

  it("shows a suite and a candidate added from the CLI on the project's page", async () => {
    await open(/Projects/);
    await page.getByRole('link', { name: 'demo' }).first().click();
    await page.getByRole('heading', { name: 'Test suites' }).waitFor();
    const file = path.join(dataDir, 'quick.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'quick', version: 1, cases: [{ id: 'a', kind: 'contains', input: 'hi', expect: 'hello' }] }));
    ok(['suite', 'add', file, '--project', 'demo']);
    await page.getByRole('table', { name: 'Test suites' }).getByText('quick@1').waitFor({ timeout: 5000 });
    ok(['candidate', 'propose', runId, '--reason', 'lowest loss']);
    await page.getByRole('table', { name: 'Production candidates' }).getByText('lowest loss').waitFor({ timeout: 5000 });
    await notReloaded();
  });
});
