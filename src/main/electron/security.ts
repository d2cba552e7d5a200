// The Electron shell's security settings as plain data, so a unit test can check them without Electron.
import { contentSecurityPolicy } from '../security/csp';

/** The renderer is served from this privileged custom scheme, never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'tunebench';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

export const ELECTRON_CSP = contentSecurityPolicy();

export function windowWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: true,
    safeDialogs: true,
    experimentalFeatures: false,
  } as const;
}

/** The origins the app's own pages come from: the bundle, and Vite's dev server while developing. */
export function appOrigins(devServerUrl?: string): string[] {
  const origins = [APP_ORIGIN];
  if (devServerUrl) origins.push(new URL(devServerUrl).origin);
  return origins;
}

export function isAppUrl(url: string, devServerUrl?: string): boolean {
  try {
    const parsed = new URL(url);
    const origin = parsed.protocol === `${APP_SCHEME}:` ? `${APP_SCHEME}://${parsed.host}` : parsed.origin;
    return appOrigins(devServerUrl).includes(origin);
  } catch {
    return false;
  }
}

/** IPC is answered only for the app's own top-level frame: not for iframes, not for foreign pages. */
export function isTrustedSender(frame: { url: string; isMainFrame: boolean } | null | undefined, devServerUrl?: string): boolean {
  return !!frame && frame.isMainFrame && isAppUrl(frame.url, devServerUrl);
}
