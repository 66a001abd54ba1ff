import { sql } from 'kysely'
import type { Db } from './database.js'
import { pendingMigrations } from './migrate.js'

/** What `/readyz` reports: set by start-up once migrations are applied, probed on every call. */
export type Readiness = { migrated: boolean }

// The reason a check failed goes to the log; the probe answers only ok / unreachable / pending.
export async function probeReadiness(db: Db, readiness: Readiness) {
  try {
    await sql`select 1`.execute(db)
    if (!readiness.migrated) readiness.migrated = (await pendingMigrations(db)).length === 0
  } catch {
    return { ready: false, checks: { database: 'unreachable', migrations: 'unknown' } }
  }
  return {
    ready: readiness.migrated,
    checks: { database: 'ok', migrations: readiness.migrated ? 'applied' : 'pending' },
  }
}
