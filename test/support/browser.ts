// Debian's Chromium for e2e tests, driven by playwright-core. Never downloads a browser.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.TUNEBENCH_CHROMIUM ?? '/usr/bin/chromium';

/** Installs Debian's chromium when it is missing and we are root; otherwise says exactly what to install. */
export function ensureChromium(): void {
  if (fs.existsSync(CHROMIUM)) return;
  if (process.getuid?.() === 0) {
    console.log("Chromium is missing; installing Debian's chromium with apt-get (about a minute)…");
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core'], {
      stdio: 'inherit',
    });
    if (fs.existsSync(CHROMIUM)) return;
  }
  throw new Error(`The e2e tests need Chromium at ${CHROMIUM}. Install it with \`sudo apt-get install -y chromium\` ` + '(or set TUNEBENCH_CHROMIUM to a Chromium binary), then run the tests again.');
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

export const SCREENSHOT_DIR = 'test-results/screenshots';
