// The Electron shell cannot be launched here, so its security settings and the preload's surface are checked as data.
import { describe, expect, it, vi } from 'vitest';
import { APP_INDEX_URL, ELECTRON_CSP, isAppUrl, isTrustedSender, windowWebPreferences } from '../../src/main/electron/security';
import { contentSecurityPolicy } from '../../src/main/security/csp';
import { EVENT_NAMES, METHOD_NAMES } from '../../src/shared/names';
import { methods, events } from '../../src/shared/contract';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, data: null }));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: { invoke, on: vi.fn(), removeListener: vi.fn(), send: vi.fn(), sendSync: vi.fn() },
}));

describe('the Electron window', () => {
  it('runs the renderer isolated and sandboxed, without Node', () => {
    const prefs = windowWebPreferences('/app/preload.js');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('loads the renderer from the app bundle, not from the web or file://', () => {
    expect(APP_INDEX_URL).toBe('app://tunebench/index.html');
  });

  it('sends a strict CSP: own scripts only, no inline or eval, no framing, no plugins', () => {
    for (const csp of [ELECTRON_CSP, contentSecurityPolicy(['ws://127.0.0.1:1'])]) {
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    }
  });

  it('refuses navigation to foreign origins', () => {
    expect(isAppUrl('app://tunebench/index.html#/projects')).toBe(true);
    expect(isAppUrl('https://evil.example/')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5173/')).toBe(false);
  });

  it('answers IPC only from the app\'s own top-level frame', () => {
    expect(isTrustedSender({ url: 'app://tunebench/index.html', isMainFrame: true })).toBe(true);
    expect(isTrustedSender({ url: 'app://tunebench/index.html', isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', isMainFrame: true })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });
});

describe('the preload', () => {
  it('exposes exactly one function per contract method plus event subscribers, and no generic invoke', async () => {
    await import('../../src/preload/index');
    const api = exposed.tunebench as Record<string, unknown>;
    expect(Object.keys(exposed)).toEqual(['tunebench']);
    expect(Object.keys(api).sort()).toEqual([...METHOD_NAMES, 'events'].sort());
    expect(Object.keys(methods).sort()).toEqual([...METHOD_NAMES].sort());
    expect(Object.keys(api.events as object).sort()).toEqual([...EVENT_NAMES].sort());
    expect(Object.keys(events).sort()).toEqual([...EVENT_NAMES].sort());
    for (const forbidden of ['invoke', 'send', 'sendSync', 'ipcRenderer', 'on', 'require']) expect(api[forbidden]).toBeUndefined();
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('sends each method on its own channel', async () => {
    await import('../../src/preload/index');
    const api = exposed.tunebench as Record<string, (input: unknown) => Promise<unknown>>;
    await api['projects.create']!({ name: 'x' });
    expect(invoke).toHaveBeenLastCalledWith('tunebench:projects.create', { name: 'x' });
  });
});
