import { defineConfig } from 'vitest/config';

// `npm run test:long` (first half): the property suites with LECTERN_PROPERTY_SCALE multiplying
// their runs (test/property/config.ts).
export default defineConfig({
  test: {
    include: ['test/property/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
  },
});
