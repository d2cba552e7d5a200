// `tunebench serve`: browser mode on 127.0.0.1, until SIGINT or SIGTERM.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../version';
import { startWebServer } from '../../web/server';
import type { Command } from '../command';
import { usageError } from '../args';

export const RENDERER_DIR = path.join(PACKAGE_ROOT, 'dist', 'renderer');

function openInBrowser(url: string, stderr: (s: string) => void): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => stderr(`Could not start a browser (${opener}); open the address above yourself.\n`));
  child.unref();
}

export const serveCommand: Command = {
  path: ['serve'],
  summary: 'Run the app in your browser (listens on 127.0.0.1 only)',
  positionals: [],
  flags: {
    port: { kind: 'number', value: 'N', help: 'Port to listen on (0 = any free port; default 0)' },
    open: { kind: 'boolean', help: 'Open the address in the default browser' },
  },
  async run(ctx, args) {
    const port = (args.flags.port as number | undefined) ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port must be an integer from 0 to 65535.');
    // Listen for the stop signal before anything starts, so a signal that comes early still stops us cleanly.
    let stopRequested!: () => void;
    const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        ctx.io.stderr(`Received ${signal} again; exiting now.\n`);
        process.exit(1);
      }
      stopping = true;
      stopRequested();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const engine = ctx.openEngine({ externalChangePollMs: 500, runSyncIntervalMs: 500 });
    try {
      let server;
      try {
        server = await startWebServer({ engine, port, staticDir: RENDERER_DIR });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw usageError(`Port ${port} is in use. Choose another with --port, or 0 for any free port.`);
        throw err;
      }
      const { url } = server;
      ctx.print({ url, port: server.port, dataDir: engine.dataDir }, () => `${url}\n`);
      if (args.flags.open) openInBrowser(url, ctx.io.stderr);
      await stopped;
      await server.close();
      return 0;
    } finally {
      engine.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
