import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Unit tests need nothing; integration and browser (e2e) tests run on PGlite, or on PostgreSQL
// when TEST_DATABASE_URL is set. global-setup migrates one database per run; each worker loads
// a copy as the database its files share (test/support/database.ts), and files that look across
// tenants get a copy of their own.
//
// Two workers (the machine CI runs on has two cores): vitest's default leaves one core idle.
// Files of one project reuse their worker (isolate: false), so a worker's database and
// compiled modules outlive the file; e2e files are in the same project for that reason.
const WORKERS = 2

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  // The package's exports point at dist/; tests run the sources (tsconfig.json's paths agree).
  resolve: {
    alias: {
      'auth-gateway/verifier': fileURLToPath(new URL('../src/verifier/index.ts', import.meta.url)),
    },
  },
  test: {
    maxWorkers: WORKERS,
    projects: [
      {
        extends: true,
        // Pure functions: one worker for all files, no fresh module graph per file.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          pool: 'forks',
          isolate: false,
          // Generous: a machine whose cores are busy elsewhere must not fail the suite.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
