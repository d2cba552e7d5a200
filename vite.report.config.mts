// Builds the offline report's script: one minified IIFE (dist/report/report.js) that the engine
// inlines into each report HTML file, so the file needs nothing but itself to open.
import path from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: path.resolve(import.meta.dirname, 'dist/report'),
    emptyOutDir: true,
    sourcemap: false, // inlined into HTML; a sourceMappingURL would point at a file that is not there
    minify: true,
    target: 'es2022',
    copyPublicDir: false,
    lib: {
      entry: path.resolve(import.meta.dirname, 'src/shared/report/entry.ts'),
      formats: ['iife'],
      name: 'TunebenchReport',
      fileName: () => 'report.js',
    },
  },
});
