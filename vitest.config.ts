import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real runner processes, Chromium and servers: generous per-test limits.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Benchmarks share this machine's two cores with the tests; file-level parallelism only.
    maxWorkers: 2,
  },
});
