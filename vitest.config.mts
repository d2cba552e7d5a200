// One vitest run covers unit, integration and e2e tests; e2e drive Debian's Chromium through browser mode.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 180_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    sequence: { hooks: 'list' },
  },
});
