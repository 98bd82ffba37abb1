import { defineConfig } from 'vitest/config';

// `npm run test:long` (second half): the reliability and fuzz suites with long counts (LECTERN_LONG=1 scales
// them up: more rounds, more rows, more faults, more fuzz runs). The normal suite runs the same
// files with bounded counts.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    env: { LECTERN_LONG: '1' },
  },
});
