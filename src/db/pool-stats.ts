import type { DatabaseConnection, Dialect, Driver } from 'kysely'
import type { Db } from './database.js'

/** How busy a Db's connections are (the management listener's gauges). */
export type PoolStats =
  | { kind: 'pg'; total: number; idle: number; waiting: number }
  /** PGlite has one connection: `inFlight` queries and transactions hold it or wait for it. */
  | { kind: 'pglite'; inFlight: number }

const readers = new WeakMap<Db, () => PoolStats>()

/** Remembers how to read `db`'s pool (database.ts dbOn); returns `db`. */
export function withPoolStats(db: Db, read: () => PoolStats): Db {
  readers.set(db, read)
  return db
}

export const poolStatsOf = (db: Db): PoolStats | undefined => readers.get(db)?.()

/** `dialect` with a count of the connections asked for and not yet given back. */
export function countingConnections(dialect: Dialect): {
  dialect: Dialect
  inFlight: () => number
} {
  let inFlight = 0
  const counted: Dialect = {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver(): Driver {
      const driver = dialect.createDriver()
      return Object.assign(Object.create(driver) as Driver, {
        async acquireConnection(): Promise<DatabaseConnection> {
          inFlight++
          try {
            return await driver.acquireConnection()
          } catch (error) {
            inFlight--
            throw error
          }
        },
        async releaseConnection(connection: DatabaseConnection): Promise<void> {
          inFlight--
          await driver.releaseConnection(connection)
        },
      })
    },
  }
  return { dialect: counted, inFlight: () => inFlight }
}
