// Wires the contract to ipcMain: one handler per method channel, each checking the sender frame first.
import { ipcMain, type WebContents } from 'electron';
import { EVENT_NAMES, METHOD_NAMES, ipcChannel, ipcEventChannel } from '../../shared/names';
import type { Engine } from '../app';
import { isTrustedSender } from './security';

export function registerIpc(engine: Engine, devServerUrl?: string): () => void {
  for (const method of METHOD_NAMES) {
    ipcMain.handle(ipcChannel(method), (event, input: unknown) => {
      const frame = event.senderFrame;
      if (!isTrustedSender(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null, devServerUrl)) {
        return { ok: false, error: { code: 'FORBIDDEN_SENDER', message: 'This page may not call Tunebench.' } };
      }
      return engine.dispatch(method, input, { transport: 'ipc' });
    });
  }
  return () => {
    for (const method of METHOD_NAMES) ipcMain.removeHandler(ipcChannel(method));
  };
}

/** Forwards engine events to one window; returns the unsubscribe function. */
export function forwardEvents(engine: Engine, contents: WebContents): () => void {
  return engine.events.onAny((event, payload) => {
    if (!contents.isDestroyed() && (EVENT_NAMES as readonly string[]).includes(event)) contents.send(ipcEventChannel(event), payload);
  });
}
