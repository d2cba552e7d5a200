// Electron main bundle (built by Forge). better-sqlite3 is native: it stays outside the bundle.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    rollupOptions: { external: ['better-sqlite3', 'ssh2', 'ws', 'electron'] },
  },
});
