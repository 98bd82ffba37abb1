import { defineConfig } from 'vitest/config';

// PGlite takes seconds to start, so each test file opens its stores once and shares them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
