import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely'
import type { Db } from './database.js'

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
// Any constant shared by every gateway process; names the session lock that serialises migrations.
export const MIGRATION_LOCK_KEY = 7_340_812_291

const provider: MigrationProvider = {
  async getMigrations() {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{8}_\d{4}_[a-z0-9_]+\.ts$/.test(f))
      .sort()
    const entries = await Promise.all(
      files.map(
        async (f) =>
          [f.replace(/\.ts$/, ''), (await import(`${MIGRATIONS_DIR}${f}`)) as Migration] as const,
      ),
    )
    return Object.fromEntries(entries)
  },
}

/**
 * Applies every pending migration. Two processes starting together on one empty server take
 * turns on a session-level advisory lock, so the second finds the work done (Kysely's own
 * transaction lock comes too late to protect the creation of its bookkeeping tables).
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    // Unbounded here alone (database.ts, SESSION_LIMITS): an index built on a large table takes
    // what it takes, and the second process waits for the first one's migrations.
    const bounds = await sql<{ statement: string; lock: string }>`
      select current_setting('statement_timeout') as statement,
             current_setting('lock_timeout') as lock`.execute(conn)
    const { statement, lock } = bounds.rows[0]!
    await sql`select set_config('statement_timeout', '0', false), set_config('lock_timeout', '0', false)`.execute(
      conn,
    )
    try {
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn)
      try {
        const { error, results = [] } = await new Migrator({ db: conn, provider }).migrateToLatest()
        const failed = results.find((r) => r.status === 'Error')
        if (error) {
          throw new Error(
            `migration ${failed?.migrationName ?? '(setup)'} failed: ${describe(error)}`,
            { cause: error },
          )
        }
        return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn)
      }
    } finally {
      // Back to the connection's bounds before the pool lends it out again (set back, not RESET:
      // behind PgBouncer they come from its connect_query, which RESET would undo).
      await sql`select set_config('statement_timeout', ${statement}, false), set_config('lock_timeout', ${lock}, false)`.execute(
        conn,
      )
    }
  })
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))
