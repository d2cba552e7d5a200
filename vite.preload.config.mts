// Preload bundle (built by Forge): sandboxed preloads must be one CommonJS file.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    rollupOptions: { external: ['electron'], output: { format: 'cjs', inlineDynamicImports: true } },
  },
});
