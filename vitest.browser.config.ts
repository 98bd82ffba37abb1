import { defineConfig } from 'vitest/config';

// The console's browser journeys (playwright-core driving Debian's /usr/bin/chromium against a real
// server on a free port). Run after `npm run build:web`; `npm run test:browser` does both.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.spec.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
