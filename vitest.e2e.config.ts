// End-to-end tests: web mode in Debian's Chromium (playwright-core), one scenario per file, run
// one file at a time (two cores: the server's indexing worker and the browser share them).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.spec.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
