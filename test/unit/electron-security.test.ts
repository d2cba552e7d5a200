// The Electron shell cannot be launched here: its main process (src/main/electron/main.ts) runs against a
// stand-in for the electron module that records what the shell asks of Electron (the window's options,
// the URL it loads, its handlers), and the preload's surface is checked the same way.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ELECTRON_CSP, isAppUrl, isTrustedSender } from '../../src/main/electron/security';
import { contentSecurityPolicy } from '../../src/main/security/csp';
import { EVENT_NAMES, METHOD_NAMES } from '../../src/shared/names';
import { methods, events } from '../../src/shared/contract';

type Handler = (...args: any[]) => any;
/** What the shell asked of Electron. */
const shell = vi.hoisted(() => ({
  windows: [] as { options: any; loaded: string[] }[],
  appHandlers: new Map<string, Handler>(),
  permissionHandler: undefined as Handler | undefined,
  privilegedSchemes: [] as any[],
  protocolHandlers: new Map<string, Handler>(),
  exited: [] as number[],
}));
const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, data: null }));
vi.mock('electron', () => {
  class BrowserWindow {
    readonly loaded: string[] = [];
    readonly webContents = { isDestroyed: () => false, send: () => {} };
    constructor(readonly options: unknown) {
      shell.windows.push(this);
    }
    on() {}
    once() {}
    show() {}
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    static getAllWindows = () => shell.windows;
  }
  return {
    app: {
      on: (event: string, handler: Handler) => shell.appHandlers.set(event, handler),
      whenReady: () => Promise.resolve(),
      exit: (code: number) => shell.exited.push(code),
      quit: () => {},
    },
    BrowserWindow,
    session: { defaultSession: { setPermissionRequestHandler: (h: Handler) => (shell.permissionHandler = h) } },
    shell: { openExternal: () => Promise.resolve() },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => shell.privilegedSchemes.push(...schemes),
      handle: (scheme: string, h: Handler) => shell.protocolHandlers.set(scheme, h),
    },
    net: { fetch: () => Promise.reject(new Error('no files here')) },
    ipcMain: { handle: () => {}, removeHandler: () => {} },
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: { invoke, on: vi.fn(), removeListener: vi.fn(), send: vi.fn(), sendSync: vi.fn() },
  };
});
// The shell's engine is the real engine's shape, without a data directory.
vi.mock('../../src/main/app', () => ({ openEngine: () => ({ events: { onAny: () => () => {} }, dispatch: async () => ({ ok: true, data: null }), close: () => {} }) }));

describe('the Electron window the shell opens', () => {
  beforeAll(async () => {
    (globalThis as Record<string, unknown>).MAIN_WINDOW_VITE_NAME = 'main_window'; // set by Electron Forge's Vite build
    await import('../../src/main/electron/main');
    await vi.waitFor(() => expect(shell.windows).toHaveLength(1));
    expect(shell.exited).toEqual([]);
  });

  it('runs the renderer isolated and sandboxed, without Node', () => {
    const prefs = shell.windows[0]!.options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      experimentalFeatures: false,
    });
    expect(prefs.preload).toMatch(/[/\\]preload\.js$/);
    // Nothing that would loosen these is passed besides.
    for (const loosening of ['enableBlinkFeatures', 'additionalArguments', 'session', 'partition', 'devTools']) expect(prefs[loosening]).toBeUndefined();
  });

  it('loads the renderer from the app bundle, not from the web or file://', () => {
    expect(shell.windows[0]!.loaded).toEqual(['app://tunebench/index.html']);
    expect(shell.privilegedSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect([...shell.protocolHandlers.keys()]).toEqual(['app']);
  });

  it('keeps every page of it from navigating away, opening windows or attaching webviews', () => {
    const on = new Map<string, Handler>();
    let openHandler: Handler | undefined;
    shell.appHandlers.get('web-contents-created')!({}, { on: (event: string, h: Handler) => on.set(event, h), setWindowOpenHandler: (h: Handler) => (openHandler = h) });
    for (const event of ['will-navigate', 'will-redirect']) {
      const foreign = { preventDefault: vi.fn() };
      on.get(event)!(foreign, 'https://evil.example/');
      expect(foreign.preventDefault).toHaveBeenCalled();
      const own = { preventDefault: vi.fn() };
      on.get(event)!(own, 'app://tunebench/index.html#/runs');
      expect(own.preventDefault).not.toHaveBeenCalled();
    }
    const webview = { preventDefault: vi.fn() };
    on.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    expect(openHandler!({ url: 'https://docs.example/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'app://tunebench/index.html' })).toEqual({ action: 'deny' });
  });

  it('grants no permission a page asks for', () => {
    const callback = vi.fn();
    shell.permissionHandler!({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
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

  it("answers IPC only from the app's own top-level frame", () => {
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
