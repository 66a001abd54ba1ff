import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, inject } from 'vitest'
import { type Db, dbOn } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { admin, withDatabase } from './global-setup.js'

export type TestDb = { db: Db; kind: 'postgres' | 'pglite'; url?: string }

const onPostgres = () => inject('databaseUrl') !== undefined

// One migrated PGlite per worker process (test files share the worker with isolate: false).
const store = globalThis as { pgliteTemplate?: Promise<PGlite> }
function pgliteTemplate(): Promise<PGlite> {
  store.pgliteTemplate ??= (async () => {
    const pglite = await PGlite.create()
    await migrateToLatest(dbOn({ pglite }))
    return pglite
  })()
  return store.pgliteTemplate
}

/** A database of the file's own: a clone of the migrated template, dropped when the file ends. */
export async function openTestDb(): Promise<TestDb & { close: () => Promise<void> }> {
  const serverUrl = inject('databaseUrl')
  if (serverUrl) {
    const name = `${inject('clonePrefix')}${randomBytes(6).toString('hex')}`
    await admin(serverUrl, `create database ${name} template ${inject('templateDb')}`)
    const url = withDatabase(serverUrl, name)
    const db = dbOn({ url })
    return {
      db,
      kind: 'postgres',
      url,
      close: async () => {
        await db.destroy()
        await admin(serverUrl, `drop database if exists ${name} with (force)`)
      },
    }
  }
  const pglite = (await (await pgliteTemplate()).clone()) as PGlite
  const db = dbOn({ pglite })
  return { db, kind: 'pglite', close: () => db.destroy() }
}

/** Registers the file's database in beforeAll/afterAll; read `.db` inside tests. */
export function useTestDb(): TestDb {
  const ref = {} as TestDb & { close?: () => Promise<void> }
  beforeAll(async () => Object.assign(ref, await openTestDb()))
  afterAll(async () => ref.close?.())
  return ref
}

export { onPostgres }
