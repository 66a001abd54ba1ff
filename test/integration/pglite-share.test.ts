import { mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dbOn } from '../../src/db/database.js'
import {
  type SharedPglite,
  sharedDatabaseUrl,
  sharePglite,
  socketPathOf,
} from '../../src/db/pglite-share.js'

// Issue 13: `gateway` commands work while the embedded server runs, through its socket. PGlite has
// one session: a command's transaction and the server's own must take turns, never interleave.
const dataDir = mkdtempSync(join(tmpdir(), 'gw-share-'))
const pglite = new PGlite()
const db = dbOn({ pglite })
let shared: SharedPglite
const connect = async () => {
  const client = new pg.Client({ connectionString: sharedDatabaseUrl(dataDir) })
  await client.connect()
  return client
}
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  await sql`create table notes (id int primary key, body text)`.execute(db)
  shared = await sharePglite(pglite, db, dataDir)
}, 120_000)
afterAll(async () => {
  await shared.stop()
  await db.destroy()
})

describe('the embedded database shared over a Unix socket', () => {
  it('is reachable only by its owner: a 0700 directory, a 0600 socket', () => {
    expect(statSync(join(dataDir, 'run')).mode & 0o777).toBe(0o700)
    expect(statSync(socketPathOf(dataDir)).mode & 0o777).toBe(0o600)
  })

  it('refuses a run directory that is not its own (a symlink planted in DATA_DIR)', async () => {
    const planted = mkdtempSync(join(tmpdir(), 'gw-share-planted-'))
    mkdirSync(join(planted, 'elsewhere'))
    symlinkSync(join(planted, 'elsewhere'), join(planted, 'run'))
    await expect(sharePglite(pglite, db, planted)).rejects.toThrow(
      'must be a directory owned by this user',
    )
  })

  it('refuses a socket path longer than a Unix socket can bind, naming DATA_DIR', async () => {
    const deep = join(dataDir, 'x'.repeat(100))
    await expect(sharePglite(pglite, db, deep)).rejects.toThrow('shorten DATA_DIR')
  })

  it("answers a client's queries, parameters included", async () => {
    const client = await connect()
    try {
      await client.query('insert into notes values ($1, $2)', [1, 'from a command'])
      const { rows } = await client.query('select body from notes where id = $1', [1])
      expect(rows).toEqual([{ body: 'from a command' }])
      expect(
        await db
          .selectFrom('notes' as never)
          .selectAll()
          .execute(),
      ).toEqual([{ id: 1, body: 'from a command' }])
    } finally {
      await client.end()
    }
  })

  it("holds the server's queries while a client's transaction is open, and they never run inside it", async () => {
    const client = await connect()
    try {
      await client.query('begin')
      await client.query("insert into notes values (2, 'uncommitted')")
      let served = false
      const server = sql<{ n: number }>`select count(*)::int as n from notes where id = 2`
        .execute(db)
        .then((r) => ((served = true), r.rows[0]?.n))
      await later(300)
      expect(served).toBe(false)
      await client.query('rollback')
      // Had it run inside the client's transaction it would have seen the row.
      expect(await server).toBe(0)
    } finally {
      await client.end()
    }
  })

  it("holds a client while the server's transaction is open", async () => {
    const client = await connect()
    try {
      let answered = false
      const serverTx = db.transaction().execute(async (tx) => {
        await sql`insert into notes values (3, 'server')`.execute(tx)
        const asked = client
          .query('select count(*)::int as n from notes where id = 3')
          .then((r) => ((answered = true), r.rows[0].n as number))
        await later(300)
        expect(answered).toBe(false)
        return { asked } // not awaited here: the client waits for this transaction to end
      })
      expect(await (await serverTx).asked).toBe(1) // it ran after the commit, not inside
    } finally {
      await client.end()
    }
  })

  it('rolls back the open transaction of a client that disconnects, and serves on', async () => {
    const client = await connect()
    client.on('error', () => {}) // the connection this test cuts
    await client.query('begin')
    await client.query("insert into notes values (4, 'abandoned')")
    // Destroyed, not ended: the command died mid-transaction.
    ;(
      client as unknown as { connection: { stream: { destroy: () => void } } }
    ).connection.stream.destroy()
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from notes where id = 4`.execute(db)
    expect(rows[0]?.n).toBe(0)
    const again = await connect()
    try {
      expect((await again.query('select 1 as one')).rows).toEqual([{ one: 1 }])
    } finally {
      await again.end()
    }
  })
})
