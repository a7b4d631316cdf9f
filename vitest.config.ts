import { defineConfig } from 'vitest/config';

// Two projects: unit tests (and the contract suites of test/contract, run by the backends that need no server) need
// no server; integration tests get the real servers of `scripts/services`, started
// by test/global-setup.ts (which Vitest runs only when at least one integration test is selected, so
// `vitest run test/unit` starts nothing).
export default defineConfig({
  test: {
    // Child processes rather than worker threads: native modules (better-sqlite3, grpc) are happier there.
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/contract/**/*.test.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/support/service-env.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
