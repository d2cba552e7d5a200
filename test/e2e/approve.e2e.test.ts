// A reviewer with no hosts drops a review bundle on the app, reads its report, waives a regression,
// and approves through the red button with the project's name typed back and an override reason
// (the verdict is FAIL); the Reviews page then shows the signed decision as verified.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';
import { startAgent } from '../support/agent';

const requester = tempDir('tb-e2e-req-');
const reviewer = tempDir('tb-e2e-rev-');
const files = tempDir('tb-e2e-approve-');
const shots = path.join(ROOT, SCREENSHOT_DIR);
let browser: Browser;
let served: Served;
let page: Page;
let agent: ChildProcess;
let bundleZip: string;

function ok(args: string[], dataDir: string, timeoutMs = 120_000) {
  const r = cli(args, { dataDir, timeoutMs });
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const key = path.join(files, 'bob');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', key]);
  const sock = path.join(files, 'agent.sock');
  agent = await startAgent(sock);
  execFileSync('ssh-add', [key], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });

  // The requester: production is a trained model; the candidate barely trained, so it regresses.
  ok(['project', 'create', 'support-bot'], requester);
  ok(['host', 'set', 'local', '--python', '/usr/bin/python3'], requester);
  const launch = (steps: number) =>
    ok(
      ['run', 'launch', '--project', 'support-bot', '--host', 'local', '--recipe', 'demo-lora-torch', '--param', 'pretrain_steps=150', '--param', `steps=${steps}`, '--param', 'seed=1', '--json'],
      requester,
    ).json().id as string;
  const strong = launch(150);
  const weak = launch(1);
  ok(['run', 'wait', strong, '--timeout', '150'], requester, 160_000);
  ok(['run', 'wait', weak, '--timeout', '150'], requester, 160_000);
  ok(['project', 'set-production', 'support-bot', '--model', strong], requester);
  ok(['candidate', 'propose', weak, '--reason', 'cheaper to train'], requester);
  const spec = makeDemoSuite(40);
  fs.writeFileSync(path.join(files, 'demo.json'), JSON.stringify({ ...spec, cases: spec.cases.map(({ line: _l, ...c }) => (c.kind === 'perplexity' ? { ...c, maxPerplexity: 20 } : c)) }));
  ok(['suite', 'add', path.join(files, 'demo.json'), '--project', 'support-bot'], requester);
  const t = cli(['test', 'run', '--project', 'support-bot', '--candidate', weak, '--suite', 'demo', '--wait', '--json'], { dataDir: requester, timeoutMs: 170_000 });
  expect(t.json().verdict).toBe('FAIL');
  fs.writeFileSync(path.join(files, 'allowed_signers'), `bob@example.com namespaces="tunebench-approval" ${fs.readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  ok(['project', 'set-signers', 'support-bot', '--file', path.join(files, 'allowed_signers')], requester);
  bundleZip = path.join(files, 'bundle.zip');
  ok(['review', 'export', t.json().id, '--out', bundleZip], requester);

  browser = await launchChromium();
  served = await serve(reviewer, { SSH_AUTH_SOCK: sock });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  agent?.kill();
});

describe('the red button in the browser', () => {
  it('imports a dropped bundle on a machine with no hosts and shows its report', { timeout: 60_000 }, async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Reviews/ })
      .click();
    await page.getByLabel('Review bundle', { exact: true }).setInputFiles(bundleZip);
    await page.locator('.page-header h1', { hasText: 'Review: support-bot' }).waitFor();
    await page.locator('.tb-report').getByText('Regressions').first().waitFor();
    expect(await page.locator('.page-header .verdict').textContent()).toBe('FAIL');
  });

  it('waives a regression and approves a FAIL only with an override and the name typed back', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Decide and sign…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign a decision' });
    await dialog.getByRole('radio', { name: 'Approve' }).check();
    const sign = dialog.getByRole('button', { name: /^Sign/ });
    expect(await sign.isDisabled()).toBe(true);
    const firstWaiver = dialog.getByLabel(/^Waiver reason for /).first();
    const waivedCase = ((await firstWaiver.getAttribute('aria-label')) ?? '').replace('Waiver reason for ', '');
    await firstWaiver.fill('the reference answer is out of date');
    await dialog.getByLabel("Type the project's name, support-bot, to sign").fill('support-bot');
    expect(await sign.isDisabled(), 'a FAIL needs an override reason').toBe(true);
    await dialog.getByLabel(/^Override reason/).fill('ship to the canary only; tracked in #7');
    await page.screenshot({ path: path.join(shots, 'red-button-light.png') });
    await sign.click();
    const done = page.getByRole('dialog', { name: 'Decision signed' });
    await done.waitFor();
    expect(await done.innerText()).toContain('bob@example.com');
    await done.getByRole('button', { name: 'Close' }).click();
    const decisions = page.getByRole('region', { name: 'Decisions signed here' });
    await decisions.getByText('✓ signature verified').waitFor();
    expect(waivedCase).not.toBe('');
  });

  it('shows the signed decision and its verification on Reviews', { timeout: 30_000 }, async () => {
    await page.getByRole('link', { name: '← Reviews' }).click();
    const table = page.getByRole('table', { name: 'Review bundles' });
    await table.getByText('approve').waitFor();
    expect(await table.innerText()).toContain('✓ signature verified');
    await page.screenshot({ path: path.join(shots, 'reviews-bundles-light.png') });
  });
});
