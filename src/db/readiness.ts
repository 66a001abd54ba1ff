import { sql } from 'kysely'
import type { Db } from './database.js'

/**
 * What `/readyz` reports: set by start-up (main.ts bringUp) once the migrations are applied and
 * the first run's tenants exist, and only there; the database is probed on every call. (The
 * probe once set it itself when no migration was pending, so a process answered ready, and its
 * tenant hosts served, before its first run had made the demo store: a 404 under load.)
 */
export type Readiness = { migrated: boolean }

// The reason a check failed goes to the log; the probe answers only ok / unreachable / pending.
export async function probeReadiness(db: Db, readiness: Readiness) {
  try {
    await sql`select 1`.execute(db)
  } catch {
    return { ready: false, checks: { database: 'unreachable', migrations: 'unknown' } }
  }
  return {
    ready: readiness.migrated,
    checks: { database: 'ok', migrations: readiness.migrated ? 'applied' : 'pending' },
  }
}
