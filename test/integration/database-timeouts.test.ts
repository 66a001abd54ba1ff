import { readFileSync } from 'node:fs'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import {
  dbOn,
  JOB_SESSION_LIMITS,
  pgbouncerConnectQuery,
  SESSION_LIMITS,
  withSessionLimits,
} from '../../src/db/database.js'
import { MIGRATION_LOCK_KEY, migrateToLatest } from '../../src/db/migrate.js'
import type { Database } from '../../src/db/schema.js'
import { tenantWithKey } from '../support/admin-api.js'
import { onPostgres } from '../support/database.js'
import { useGateway } from '../support/harness.js'
import { hasTopologyBinaries, startPgbouncer } from '../support/topology.js'

const gw = useGateway()

describe('session bounds on PostgreSQL connections (issue 13: a request waited 19 s on a lock)', () => {
  it('puts the bounds in the startup options, after none of the URL and before its own', () => {
    const ours =
      '-c statement_timeout=10s -c lock_timeout=3s -c idle_in_transaction_session_timeout=60s'
    expect(withSessionLimits('postgres://u@h:5432/db')).toEqual({
      connectionString: 'postgres://u@h:5432/db',
      options: ours,
    })
    // The operator's own options win: PostgreSQL keeps the last value given for a setting.
    const tuned = withSessionLimits(
      'postgres://u@h/db?options=-c%20lock_timeout%3D5s&sslmode=disable',
    )
    expect(tuned).toEqual({
      connectionString: 'postgres://u@h/db?sslmode=disable',
      options: `${ours} -c lock_timeout=5s`,
    })
  })

  it.runIf(onPostgres())(
    'holds on every pooled connection, and an operator overrides one in the URL',
    async () => {
      const shown = await sql<{
        statement_timeout: string
        lock_timeout: string
        idle: string
      }>`select current_setting('statement_timeout') as statement_timeout,
              current_setting('lock_timeout') as lock_timeout,
              current_setting('idle_in_transaction_session_timeout') as idle`.execute(gw.db)
      expect(shown.rows[0]).toEqual({
        statement_timeout: SESSION_LIMITS.statement_timeout,
        lock_timeout: SESSION_LIMITS.lock_timeout,
        idle: '1min',
      })
      // The jobs' pool (main.ts): a purge deleting a backlog may run for minutes.
      const jobs = dbOn({ url: gw.url!, limits: JOB_SESSION_LIMITS, max: 1 })
      try {
        const { rows } = await sql<{ s: string; l: string }>`
          select current_setting('statement_timeout') as s, current_setting('lock_timeout') as l`.execute(
          jobs,
        )
        expect(rows[0]).toEqual({ s: '10min', l: '3s' })
      } finally {
        await jobs.destroy()
      }
      const url = new URL(gw.url!)
      url.searchParams.set('options', '-c lock_timeout=5s')
      const tuned = dbOn({ url: url.toString() })
      try {
        const { rows } = await sql<{
          v: string
        }>`select current_setting('lock_timeout') as v`.execute(tuned)
        expect(rows[0]?.v).toBe('5s')
      } finally {
        await tuned.destroy()
      }
    },
  )

  it.runIf(onPostgres())(
    'answers 503 with Retry-After while another session holds a lock the request needs',
    async () => {
      const { api } = await tenantWithKey(gw)
      expect((await api('get', '/invitations')).status).toBe(200)

      const holder = new pg.Client({ connectionString: gw.url })
      await holder.connect()
      try {
        await holder.query('begin')
        await holder.query('lock table invitations in access exclusive mode')
        const started = Date.now()
        const answer = await api('get', '/invitations')
        const waited = Date.now() - started
        console.log(`request under a held lock answered ${answer.status} after ${waited} ms`)
        expect(answer.status).toBe(503)
        expect(answer.headers['retry-after']).toBe('5')
        expect(answer.body).toEqual({
          error: 'unavailable',
          message: 'The service is busy. Please try again in a moment.',
          details: null,
        })
        // Bounded by lock_timeout, not by the holder (which never lets go during this test).
        expect(waited).toBeLessThan(60_000)
      } finally {
        await holder.query('rollback')
        await holder.end()
      }
      expect((await api('get', '/invitations')).status).toBe(200)
    },
  )

  it.runIf(onPostgres())(
    'lets migrations wait for another process beyond lock_timeout, then gives the connection its bounds back',
    async () => {
      // One connection, so the one the migrations used is the one asked afterwards.
      const pool = new pg.Pool({ ...withSessionLimits(gw.url!), max: 1 })
      const single = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
      const other = new pg.Client({ connectionString: gw.url })
      await other.connect()
      try {
        // Another process migrating for longer than lock_timeout (3 s).
        await other.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
        const release = setTimeout(
          () => void other.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]),
          4_500,
        )
        try {
          expect(await migrateToLatest(single)).toEqual([])
        } finally {
          clearTimeout(release)
        }
        const { rows } = await sql<{ s: string; l: string }>`
          select current_setting('statement_timeout') as s, current_setting('lock_timeout') as l`.execute(
          single,
        )
        expect(rows[0]).toEqual({ s: '10s', l: '3s' })
      } finally {
        await other.end()
        await single.destroy()
      }
    },
  )

  it('are set by PgBouncer in the compose topology, which refuses startup options', () => {
    const ini = readFileSync(new URL('../../deploy/pgbouncer.ini', import.meta.url), 'utf8')
    expect(ini).toMatch(/^ignore_startup_parameters = options$/m)
    expect(ini).toContain(`dbname=gateway connect_query=${pgbouncerConnectQuery()}\n`)
  })

  it.runIf(onPostgres() && hasTopologyBinaries)(
    'hold behind PgBouncer in transaction mode, on every server connection',
    async () => {
      const bouncer = await startPgbouncer(gw.url!, 2)
      const db = dbOn({ url: bouncer.url })
      try {
        const rows = await Promise.all(
          [0, 1, 2, 3].map(async () => {
            const { rows } = await sql<{ s: string; l: string; i: string }>`
              select current_setting('statement_timeout') as s,
                     current_setting('lock_timeout') as l,
                     current_setting('idle_in_transaction_session_timeout') as i`.execute(db)
            return rows[0]
          }),
        )
        for (const row of rows) expect(row).toEqual({ s: '10s', l: '3s', i: '1min' })
      } finally {
        await db.destroy()
        await bouncer.stop()
      }
    },
  )
})
