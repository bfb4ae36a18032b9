import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` is pure code on fixtures (seconds, no processes), `integration` starts real runner
 * processes, Chromium, Appium, sshd, qemu or HTTP servers. `npm test` runs both; `npm run test:unit` alone is
 * the fast loop while editing. A new test file that starts anything belongs under one of the integration paths.
 */
const INTEGRATION = [
  'test/cli/**/*.test.ts',
  'test/devices/**/*.test.ts',
  'test/execute/adaptive-repeats.test.ts',
  'test/execute/broken-variant.test.ts',
  'test/execute/paired-rounds.test.ts',
  'test/execute/retries.test.ts',
  'test/execute/scheduler.test.ts',
  'test/runner/**/*.test.ts',
  'test/tasks/embed.test.ts',
  'test/tasks/generate.test.ts',
  'test/tasks/bundle-sides.test.ts',
  'test/scripts/**/*.test.ts',
  'test/baselines/**/*.test.ts',
  'test/plan/external-data.test.ts',
  'test/plan/verify-variant.test.ts',
  'test/results/hostile-values.test.ts',
  'test/results/run-lock-signals.test.ts',
  'test/probes/remote-files.test.ts',
  'test/probes/android.test.ts',
  'test/probes/external-meter.test.ts',
  'test/report/html/browser.test.ts',
];

export default defineConfig({
  test: {
    // Tests start real runner processes, Chromium and servers: generous per-test limits.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Benchmarks share this machine's two cores with the tests; file-level parallelism only.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: INTEGRATION } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
