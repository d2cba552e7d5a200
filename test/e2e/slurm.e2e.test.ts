// A person adds a SLURM cluster's login node in Chromium, trusts its key, probes it and sees its
// partitions, launches a two-node run from the form while another job holds both nodes, and watches it
// wait in the queue, run on both nodes and succeed; then cancels a run that is still waiting.
// The cluster is real (munged, slurmctld, two slurmd on loopback; test/support/slurm.mjs), reached through a real sshd.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, SCREENSHOT_DIR } from '../support/browser';
import { startSlurm, type TestSlurm } from '../support/slurm.mjs';
import { startSshd, type TestSshd } from '../support/sshd.mjs';
import { cli, ROOT, serve, tempDir, type Served } from '../support/tunebench';

let browser: Browser;
let served: Served;
let slurm: TestSlurm;
let sshd: TestSshd;
let page: Page;
const dataDir = tempDir('tb-e2e-slurm-');
const runRoot = tempDir('tb-e2e-slurm-root-');
const shots = path.join(ROOT, SCREENSHOT_DIR);

/** A job holding both nodes, so the next one waits in the queue (PENDING, reason Resources). */
const blockBothNodes = (seconds: number) => slurm.run('sbatch', ['--parsable', '--nodes=2', '--job-name=blocker', '--output=/dev/null', '--wrap', `sleep ${seconds}`]).trim();

beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  fs.chmodSync(runRoot, 0o755); // the jobs run as the SSH user, under slurmd
  slurm = await startSlurm();
  sshd = await startSshd();
  expect(cli(['project', 'create', 'cluster'], { dataDir }).code).toBe(0);
  browser = await launchChromium();
  served = await serve(dataDir);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(served.url);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  await slurm?.stop();
  await sshd?.stop();
});

/** Opens the launch form for the custom recipe on the cluster, with this command. */
async function openLaunch(command: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Runs/ }).click();
  await page.getByRole('button', { name: 'Launch run' }).click();
  const dialog = page.getByRole('dialog', { name: 'Launch run' });
  await dialog.getByLabel('Host', { exact: true }).selectOption('hpc');
  await dialog.getByLabel('Recipe', { exact: true }).selectOption('custom');
  await dialog.getByLabel('command', { exact: true }).fill(command);
  return dialog;
}

/** A screenshot of the page as it is, in the light and the dark theme (each looked at). */
async function shoot(name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: path.join(shots, `${name}-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('a SLURM cluster in the browser', () => {
  it('adds the cluster with its defaults, trusts its key, and shows its partitions in the probe', { timeout: 90_000 }, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Hosts/ }).click();
    await page.getByRole('button', { name: 'Add SSH host' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add SSH host' });
    await dialog.getByLabel('Name', { exact: true }).fill('hpc');
    await dialog.getByLabel('Hostname', { exact: true }).fill('127.0.0.1');
    await dialog.getByLabel('Port', { exact: true }).fill(String(sshd.port));
    await dialog.getByLabel('User', { exact: true }).fill(sshd.user);
    await dialog.getByLabel('Key file', { exact: true }).fill(sshd.clientKey);
    await dialog.getByLabel('Python', { exact: true }).fill('/usr/bin/python3');
    await dialog.getByLabel('Run root', { exact: true }).fill(runRoot);
    await dialog.getByLabel('SLURM cluster (login node)').check();
    await dialog.getByLabel('Default partition', { exact: true }).fill('low');
    // SLURM's client configuration comes from the setup line, as `module load slurm` would.
    await dialog.getByLabel('Setup line', { exact: true }).fill(`. ${slurm.envFile}`);

    // Mistakes are named next to their fields, in words: one caught here, one by the engine.
    await dialog.getByLabel('Time limit', { exact: true }).fill('soon');
    await dialog.getByLabel('Checkpoint warning (seconds)', { exact: true }).fill('5');
    await dialog.getByRole('button', { name: 'Add host' }).click();
    await dialog.getByText('The checkpoint warning is from 10 to 3600 seconds.').waitFor();
    await dialog.getByLabel('Checkpoint warning (seconds)', { exact: true }).fill('');
    await dialog.getByRole('button', { name: 'Add host' }).click();
    await dialog.getByText(/A time limit looks like 90 \(minutes\), 4:00:00/).waitFor();
    await dialog.getByRole('group', { name: 'Cluster defaults' }).scrollIntoViewIfNeeded();
    await shoot('slurm-add-host');
    await dialog.getByLabel('Time limit', { exact: true }).fill('0:10:00');
    await dialog.getByRole('button', { name: 'Add host' }).click();

    const trust = page.getByRole('dialog', { name: 'Trust hpc?' });
    await trust.waitFor();
    expect(await trust.getByLabel('Presented fingerprint', { exact: true }).textContent()).toBe(sshd.hostKeyFingerprint);
    await trust.getByRole('button', { name: 'Trust this key' }).click();

    // The probe submits a tiny job to see whether the compute nodes share the run root.
    const probe = page.getByRole('region', { name: 'Probe of hpc' });
    await probe.waitFor({ timeout: 60_000 });
    const hostRow = page.getByRole('table', { name: 'Hosts' }).getByRole('row').filter({ hasText: 'hpc' });
    await hostRow.getByText('SLURM cluster', { exact: true }).waitFor();
    const partitions = probe.getByRole('table', { name: 'Partitions of hpc' });
    const names = (await partitions.locator('tbody tr td:first-child strong').allTextContents()).sort();
    expect(names).toEqual(['high', 'low', 'tiny']);
    await partitions.getByRole('row').filter({ hasText: 'low' }).getByText('default').waitFor();
    const tiny = partitions.getByRole('row').filter({ hasText: 'tiny' });
    expect(await tiny.locator('td').allTextContents()).toEqual(['tiny', 'up', '2', '1', expect.any(String), '0', '0:05:00', '1']);
    // The shared run root and whether jobs may submit jobs (sweeps need both): yes and yes.
    expect(await probe.getByText(/^yes$/).allTextContents()).toEqual(['yes', 'yes']);
    await probe.getByText(/A job on a compute node may submit jobs/).waitFor();
    await page.getByRole('button', { name: 'Dismiss notification' }).click(); // "Trusted hpc." would cover the table
    await partitions.scrollIntoViewIfNeeded();
    await shoot('slurm-probe');
  });

  it("warns of a partition's limits, shows SLURM's refusal, then runs on two nodes: pending, running, succeeded", { timeout: 120_000 }, async () => {
    // Long enough to be seen running: while it waits, the engine reads the queue less and less often (2, 4, 8 s...).
    const dialog = await openLaunch('echo node $SLURM_NODEID; sleep 15; echo done');
    const resources = dialog.getByRole('group', { name: 'Cluster resources' });
    await resources.getByLabel('Nodes', { exact: true }).fill('2');
    // The probe's partitions fill the select; tiny allows one node, so the form says so before submitting.
    await resources.getByLabel('Partition', { exact: true }).selectOption('tiny');
    await resources.getByText('Partition tiny allows at most 1 node per job; SLURM will refuse 2.').waitFor();
    await dialog.getByRole('button', { name: 'Launch' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: /SLURM refused the job/ })
      .waitFor({ timeout: 20_000 });
    await shoot('slurm-launch-refused');

    await resources.getByLabel('Partition', { exact: true }).selectOption('');
    await resources.getByLabel('Time limit', { exact: true }).fill('5:00');
    await expect.poll(() => resources.locator('.form-warning').count()).toBe(0);
    await shoot('slurm-launch');
    const blocker = blockBothNodes(8);
    await dialog.getByRole('button', { name: 'Launch' }).click();

    // Waiting behind the blocker: SLURM's state and reason, the job id, the attempt and what it asked for.
    const header = page.locator('.page-header h1');
    await header.getByText('pending', { exact: true }).waitFor({ timeout: 20_000 });
    const details = page.locator('dl.meta');
    await details.getByText(/PENDING \((Resources|Priority)\)/).waitFor({ timeout: 20_000 });
    const jobId = (await details.locator('dd', { hasText: 'PENDING' }).locator('.mono').textContent())!;
    expect(jobId).toMatch(/^\d+$/);
    expect(Number(jobId)).toBeGreaterThan(Number(blocker));
    await details.getByText('attempt 1', { exact: true }).waitFor();
    await details.getByText('2 nodes · time 5:00 · partition low', { exact: true }).waitFor();
    await shoot('slurm-run-pending');

    await header.getByText('running', { exact: true }).waitFor({ timeout: 40_000 });
    await details.getByText(/^n\[1-2\]$|^n1,n2$/).waitFor({ timeout: 10_000 });
    await shoot('slurm-run-running');
    await header.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 });
    // Without accounting the job's last state is whatever squeue said before it left: not shown as current.
    await details.getByText(/COMPLETED|left the queue/).waitFor({ timeout: 10_000 });
    const log = page.getByRole('log', { name: 'Run log' });
    await log.locator('.log-line', { hasText: '[rank 0] node 0' }).waitFor({ timeout: 10_000 });
    await log.locator('.log-line', { hasText: '[rank 1] node 1' }).waitFor();
    expect(await log.locator('.log-line', { hasText: '] done' }).count()).toBe(2);
    await shoot('slurm-run-done');
  });

  it('cancels a run that waits in the queue', { timeout: 90_000 }, async () => {
    const blocker = blockBothNodes(60);
    try {
      const dialog = await openLaunch('echo never');
      await dialog.getByRole('button', { name: 'Launch' }).click();
      const header = page.locator('.page-header h1');
      await header.getByText('pending', { exact: true }).waitFor({ timeout: 20_000 });
      await page.getByRole('button', { name: 'Cancel run' }).click();
      // Cancelling asks first.
      await page
        .getByRole('dialog', { name: /^Cancel run / })
        .getByRole('button', { name: 'Cancel run' })
        .click();
      await header.getByText('cancelled', { exact: true }).waitFor({ timeout: 30_000 });
      await page.getByRole('link', { name: '← Runs' }).click();
      await page.getByRole('table', { name: 'Runs' }).waitFor();
      await shoot('slurm-runs-list');
    } finally {
      slurm.run('scancel', [blocker]);
    }
    const runs = cli(['run', 'list', '--json'], { dataDir }).json();
    expect(runs.map((r: { status: string }) => r.status).sort()).toEqual(['CANCELLED', 'SUCCEEDED']);
  });
});
