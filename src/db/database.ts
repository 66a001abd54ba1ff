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

export type DbTarget = { url: string; limits?: SessionLimits; max?: number } | { pglite: PGlite }

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

/**
 * Bounds on every PostgreSQL session, so that a lock held elsewhere or a runaway statement costs
 * a request seconds and a 503, not as long as the holder likes (19 s was seen). The idle bound
 * rolls back a transaction its holder forgot (a crashed handler): it exceeds the longest honest
 * pause inside one, the outbox sender talking to SMTP (connect 10 s + greeting 10 s + 30 s).
 */
export const SESSION_LIMITS = {
  statement_timeout: '10s',
  lock_timeout: '3s',
  idle_in_transaction_session_timeout: '60s',
}
export type SessionLimits = typeof SESSION_LIMITS

/**
 * The same bounds for PgBouncer's `connect_query` (deploy/pgbouncer.ini): PgBouncer refuses the
 * `options` startup parameter, so it is told `ignore_startup_parameters = options` and sets the
 * bounds itself on each server connection it opens (transaction pooling keeps them).
 */
export const pgbouncerConnectQuery = (limits: SessionLimits = SESSION_LIMITS) =>
  `'${Object.entries(limits)
    .map(([name, value]) => `SET ${name} = ''${value}''`)
    .join('; ')}'`

/**
 * The background jobs' bounds: no person waits on them, and a purge or cleanup deleting a
 * backlog in one statement may take minutes; a lock they wait on still gives up.
 */
export const JOB_SESSION_LIMITS: SessionLimits = { ...SESSION_LIMITS, statement_timeout: '10min' }

/**
 * The pool's connection string and its startup `options` (`-c name=value`): sent once when the
 * connection opens, so they hold for every transaction on it, unlike a SET after connecting,
 * which a pooler in transaction mode would leave on whichever server connection ran it.
 * `options` already in the URL come after ours, and PostgreSQL keeps the last value of a
 * setting: an operator tunes a bound in DATABASE_URL (`?options=-c%20lock_timeout%3D5s`).
 */
export function withSessionLimits(
  url: string,
  limits: SessionLimits = SESSION_LIMITS,
): { connectionString: string; options: string } {
  const ours = Object.entries(limits)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { connectionString: url, options: ours }
  }
  // pg lets the connection string's parameters override the pool's: take `options` out of it.
  const theirs = parsed.searchParams.get('options')
  parsed.searchParams.delete('options')
  return { connectionString: parsed.toString(), options: theirs ? `${ours} ${theirs}` : ours }
}

export function dbOn(target: DbTarget): Db {
  // PGlite runs each statement to its end on this thread (no timer can cancel it), and its one
  // connection has no other session to wait on: the bounds are PostgreSQL's alone.
  if ('pglite' in target) {
    const { dialect, inFlight } = countingConnections(new PGliteDialect(target.pglite))
    return withPoolStats(new Kysely<Database>({ dialect }), () => ({
      kind: 'pglite',
      inFlight: inFlight(),
    }))
  }
  const pool = new pg.Pool({
    ...withSessionLimits(target.url, target.limits),
    connectionTimeoutMillis: 5_000,
    max: target.max ?? 10,
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
