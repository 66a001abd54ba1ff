import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { type Migration, sql } from 'kysely'
import type { Db, Tx } from './database.js'

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
// Any constant shared by every gateway process; names the lock that serialises migrations.
export const MIGRATION_LOCK_KEY = 7_340_812_291
// Kysely's bookkeeping table, kept as Kysely's Migrator wrote it (name, ISO timestamp), so a
// database migrated by an earlier release carries on where it stopped.
const HISTORY = 'kysely_migration'
// Sources in development, compiled JavaScript in a build; never a declaration file.
const MIGRATION_FILE = /^(\d{8}_\d{4}_[a-z0-9_]+)\.(ts|js)$/

type Named = Migration & { name: string }

async function loadMigrations(): Promise<Named[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .map((file) => ({ file, name: MIGRATION_FILE.exec(file)?.[1] }))
    .filter((f): f is { file: string; name: string } => f.name !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name))
  return Promise.all(
    files.map(async ({ file, name }) => ({
      name,
      ...((await import(`${MIGRATIONS_DIR}${file}`)) as Migration),
    })),
  )
}

/**
 * Applies every pending migration in one transaction, under a transaction-level advisory lock:
 * two processes starting together on one empty server take turns, and the second finds the work
 * done. Nothing outlives the transaction, so this holds behind PgBouncer in transaction mode,
 * which may run each statement outside a transaction on another server connection. (Kysely's
 * Migrator takes a session-level lock before its transaction; behind such a pooler that lock
 * stays on whichever server connection ran it, and the next start waits on it for an hour.)
 * A migration that fails rolls back every one applied with it, as Kysely's Migrator did.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrations = await loadMigrations()
  return db.transaction().execute(async (tx) => {
    // Unbounded here alone: an index built on a large table takes what it takes, and the second
    // process waits for the first one's lock. SET LOCAL ends with the transaction, so no server
    // connection a pooler hands on keeps it (a plain SET would stay on it).
    await sql`set local statement_timeout = 0`.execute(tx)
    await sql`set local lock_timeout = 0`.execute(tx)
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(tx)
    const done = await appliedMigrations(tx)
    const pending = pendingAfter(migrations, done)
    for (const migration of pending) {
      try {
        await migration.up(tx)
      } catch (error) {
        throw new Error(`migration ${migration.name} failed: ${describe(error)}`, { cause: error })
      }
      await sql`insert into ${sql.table(HISTORY)} (name, timestamp)
        values (${migration.name}, ${new Date().toISOString()})`.execute(tx)
    }
    return pending.map((m) => m.name)
  })
}

async function appliedMigrations(tx: Tx): Promise<string[]> {
  await sql`create table if not exists ${sql.table(HISTORY)}
    (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(tx)
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(HISTORY)}
    order by timestamp, name`.execute(tx)
  return rows.map((r) => r.name)
}

// Kysely's rules: every applied migration still exists, and they are the first ones in order
// (a migration named before one already applied would otherwise never run anywhere).
function pendingAfter(migrations: Named[], done: string[]): Named[] {
  done.forEach((name, i) => {
    if (!migrations.some((m) => m.name === name))
      throw new Error(`corrupted migrations: the applied migration ${name} is missing`)
    if (migrations[i]?.name !== name)
      throw new Error(
        `corrupted migrations: ${migrations[i]?.name} sorts before the applied ${name}; a new migration must be named after the last applied one`,
      )
  })
  return migrations.slice(done.length)
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))
