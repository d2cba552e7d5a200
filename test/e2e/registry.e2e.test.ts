// A person pushes an approved model to a registry from the Reviews page, sees it on the Registry page,
// verifies it, and promotes it to production through the red button (its name typed back).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

const dataDir = tempDir('tb-e2e-registry-');
const files = tempDir('tb-e2e-registry-files-');
const registryDir = path.join(tempDir('tb-e2e-registry-root-'), 'models');
const shots = path.join(ROOT, SCREENSHOT_DIR);
let browser: Browser;
let served: Served;
let page: Page;

function ok(args: string[], timeoutMs = 150_000) {
  const r = cli(args, { dataDir, timeoutMs });
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
  return r;
}

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const key = path.join(files, 'bob');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', key]);
  fs.writeFileSync(path.join(files, 'allowed_signers'), `bob@example.com namespaces="tunebench-approval" ${fs.readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  ok(['project', 'create', 'assistant']);
  ok(['host', 'set', 'local', '--python', '/usr/bin/python3']);
  const run = ok(['run', 'launch', '--project', 'assistant', '--host', 'local', '--recipe', 'demo-lora-torch', '--param', 'pretrain_steps=40', '--param', 'steps=10', '--json']).json().id as string;
  ok(['run', 'wait', run, '--timeout', '140']);
  ok(['candidate', 'propose', run, '--reason', 'first release']);
  fs.writeFileSync(
    path.join(files, 'suite.yaml'),
    'name: smoke\nversion: 1\ncases:\n  - {id: pick, kind: choice, input: "Translate to French: good morning\\n", options: ["Bonjour.", "Merci."], expect: "Bonjour."}\n  - {id: ppl, kind: perplexity, input: "LoRA trains two small matrices."}\n',
  );
  ok(['suite', 'add', path.join(files, 'suite.yaml'), '--project', 'assistant']);
  // Two cases are too few to decide: INCONCLUSIVE (exit 1), approved below with an override reason.
  const test = cli(['test', 'run', '--project', 'assistant', '--candidate', run, '--suite', 'smoke', '--baseline', 'base', '--wait', '--json'], { dataDir, timeoutMs: 170_000 });
  expect(test.json().status).toBe('SUCCEEDED');
  ok(['project', 'set-signers', 'assistant', '--file', path.join(files, 'allowed_signers')]);
  const zip = path.join(files, 'bundle.zip');
  ok(['review', 'export', test.json().id, '--out', zip]);
  const decision = path.join(files, 'decision.json');
  ok(['review', 'decide', test.json().id, '--approve', '--override', 'smoke suite only', '--comment', 'ship it', '--key', key, '--confirm', 'assistant', '--out', decision]);
  ok(['approval', 'import', decision]);
  ok(['registry', 'add', 'team', '--ssh', `local:${registryDir}`]);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.url);
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

describe('the registry in the browser', () => {
  it('pushes an approved model from the Reviews page, with progress', { timeout: 60_000 }, async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Reviews/ })
      .click();
    const decisions = page.getByRole('table', { name: 'Signed decisions' });
    await decisions.getByText('✓ verified, chained').waitFor();
    await decisions.getByRole('button', { name: 'Push…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Push to a registry' });
    await expect.poll(() => dialog.getByLabel('Registry').inputValue()).toBe('team');
    await dialog.getByRole('button', { name: 'Push' }).click();
    await dialog
      .getByRole('status')
      .getByText(/done: /)
      .waitFor({ timeout: 30_000 })
      .catch(async (err) => {
        await page.screenshot({ path: path.join(shots, 'registry-push-failed.png') });
        throw err;
      });
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('verifies the model and promotes it to production through the red button', { timeout: 60_000 }, async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Registry/ })
      .click();
    const versions = page.getByRole('table', { name: 'Versions of assistant' });
    await versions.getByRole('button', { name: 'Verify' }).click();
    await versions.getByText('✓ approved by bob@example.com').waitFor();
    await versions.getByRole('button', { name: 'Promote…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Promote assistant@/ });
    const move = dialog.getByRole('button', { name: /^Move production/ });
    expect(await move.isDisabled()).toBe(true);
    await dialog.getByLabel("Type the model's name, assistant, to move it").fill('assistant');
    await move.click();
    await dialog.waitFor({ state: 'detached' });
    await versions.locator('.badge', { hasText: 'production' }).waitFor();
    await page
      .getByRole('list', { name: 'Alias history of assistant' })
      .getByText(/moved production/)
      .waitFor();
    await page.screenshot({ path: path.join(shots, 'registry-light.png'), fullPage: true });
    // The move is in the registry itself, beside the model.
    expect(fs.readFileSync(path.join(registryDir, 'assistant', 'aliases.log'), 'utf8')).toContain('"alias":"production"');
  });
});
