import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { Kysely, PostgresDialect, type Transaction } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { lockDataDir } from './pglite-lock.js'
import { countingConnections, withPoolStats } from './pool-stats.js'
import type { Database } from './schema.js'

/** Runs queries: the pool, or an open transaction (a Tx is also a Db). */
export type Db = Kysely<Database>
/** Ask for a Tx when a function's statements must commit or fail together. */
export type Tx = Transaction<Database>

/**
 * The extensions every embedded database is opened with: a data directory migrated with one
 * (pg_trgm's indexes for member search) cannot be used without it.
 */
export const PGLITE_EXTENSIONS = { pg_trgm }

export type DbTarget = { url: string } | { pglite: PGlite }

export type OpenDb = { db: Db; close: () => Promise<void>; description: string; pglite?: PGlite }

/**
 * PostgreSQL when `databaseUrl` is set, otherwise the embedded PGlite database stored under
 * `dataDir/pglite` (same SQL, same migrations, nothing to install), locked to this process.
 */
export function createDb(databaseUrl: string | undefined, dataDir: string): OpenDb {
  if (databaseUrl) {
    const db = dbOn({ url: databaseUrl })
    return { db, close: () => db.destroy(), description: `PostgreSQL at ${redactUrl(databaseUrl)}` }
  }
  const dir = join(dataDir, 'pglite')
  mkdirSync(dir, { recursive: true })
  const release = lockDataDir(dataDir)
  const pglite = new PGlite(dir, { extensions: PGLITE_EXTENSIONS })
  const db = dbOn({ pglite })
  return {
    db,
    close: () => db.destroy().finally(release),
    description: `embedded PGlite in ${dir}`,
    pglite, // shared with `gateway` commands over a socket (db/pglite-share.ts)
  }
}

/** A connection string fit for a log line: no password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}

export function dbOn(target: DbTarget): Db {
  if ('pglite' in target) {
    const { dialect, inFlight } = countingConnections(new PGliteDialect(target.pglite))
    return withPoolStats(new Kysely<Database>({ dialect }), () => ({
      kind: 'pglite',
      inFlight: inFlight(),
    }))
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    connectionTimeoutMillis: 5_000,
    max: 10,
  })
  // A connection dropped by the server must not crash the process. An idle one is the pool's
  // 'error'; one checked out (mid-transaction) emits on the client itself, where pg-pool
  // listens only while it is idle. Either way the query that was using it fails with the
  // error, the request answers 503 (isDatabaseUnavailable), and the pool discards the client.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const stats = () => ({
    kind: 'pg' as const,
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  })
  return withPoolStats(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), stats)
}
