import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Unit tests need nothing; integration tests run on PGlite, or on PostgreSQL when
// TEST_DATABASE_URL is set. Integration files share one PGlite per worker (it takes ~6 s to
// start) and each gets its own clone of the migrated template, so nothing leaks between files.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          isolate: false,
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 90_000,
        },
      },
    ],
  },
})
