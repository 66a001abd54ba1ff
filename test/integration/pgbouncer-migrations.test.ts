import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { dbOn } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { onPostgres } from '../support/database.js'
import { admin, withDatabase } from '../support/global-setup.js'
import { hasTopologyBinaries, startPgbouncer } from '../support/topology.js'

// Issue 13: PgBouncer in transaction mode hands each transaction (each statement outside one)
// whichever server connection is free, so nothing may outlive a transaction. Migrations took a
// session-level advisory lock: behind the pooler it stayed on the server connection that ran
// it, and the next migrator, on another connection, waited for it for good.
describe.skipIf(!onPostgres() || !hasTopologyBinaries)(
  'migrations behind PgBouncer in transaction mode (PostgreSQL and Debian pgbouncer only)',
  () => {
    const serverUrl = inject('databaseUrl') as string
    const name = `${inject('clonePrefix')}bouncer_${randomBytes(4).toString('hex')}`
    afterAll(() => admin(serverUrl, `drop database if exists ${name} with (force)`))

    it('apply once from several processes starting together, and leave no lock behind', async () => {
      await admin(serverUrl, `create database ${name}`)
      const direct = withDatabase(serverUrl, name)
      // Two server connections for three migrators of up to ten connections each.
      const bouncer = await startPgbouncer(direct, 2)
      const dbs = [0, 1, 2].map(() => dbOn({ url: bouncer.url }))
      const watcher = dbOn({ url: direct })
      try {
        const applied = await Promise.all(dbs.map((db) => migrateToLatest(db)))
        const counts = applied.map((a) => a.length).sort((a, b) => b - a)
        expect(counts[0]).toBeGreaterThan(0)
        expect(counts.slice(1)).toEqual([0, 0])
        // A later start (a restart, a new replica) finds nothing to do, and does not wait.
        expect(await Promise.all(dbs.map((db) => migrateToLatest(db)))).toEqual([[], [], []])
        const { rows } = await sql<{ held: number }>`select count(*)::int as held from pg_locks
          where locktype = 'advisory' and database = (select oid from pg_database where datname = ${name})`.execute(
          watcher,
        )
        expect(rows[0]!.held).toBe(0)
      } finally {
        await Promise.all([...dbs, watcher].map((db) => db.destroy()))
        await bouncer.stop()
      }
    })
  },
)
