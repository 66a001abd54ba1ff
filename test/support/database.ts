import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, inject } from 'vitest'
import { createDb, type Db, dbOn, PGLITE_EXTENSIONS } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import { admin, withDatabase } from './global-setup.js'

export type TestDb = { db: Db; kind: 'postgres' | 'pglite'; url?: string }

/**
 * Which database a test file runs on. `shared`: the worker's one migrated database, which the
 * files of a worker use one after the other; right for files whose tests each make their own
 * tenants and look only at those. `own`: a fresh migrated database for the file alone; for files
 * that look across tenants (jobs that scan every tenant, counts, cleanup).
 */
export type DatabaseChoice = 'shared' | 'own'

const onPostgres = () => inject('databaseUrl') !== undefined

// The migrated PGlite that global-setup dumped once per run: loading it skips initdb and the
// migrations, which cost most of a PGlite start.
let dump: Promise<Blob> | undefined
async function freshPglite(dataDir?: string): Promise<PGlite> {
  dump ??= readFile(inject('pgliteDump')).then((bytes) => new Blob([bytes]))
  const options = { loadDataDir: await dump, extensions: PGLITE_EXTENSIONS }
  return dataDir ? PGlite.create(dataDir, options) : PGlite.create(options)
}

/**
 * A DATA_DIR holding a migrated embedded database, for a gateway started on it: from the dump
 * on PGlite runs, migrated here on PostgreSQL runs (which make no dump).
 */
export async function migratedDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-data-'))
  if (inject('pgliteDump')) {
    mkdirSync(join(dataDir, 'pglite'))
    await (await freshPglite(join(dataDir, 'pglite'))).close()
  } else {
    const opened = createDb(undefined, dataDir)
    await migrateToLatest(opened.db).finally(opened.close)
  }
  return dataDir
}

async function freshDatabase(): Promise<TestDb & { close: () => Promise<void> }> {
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
  const db = dbOn({ pglite: await freshPglite() })
  return { db, kind: 'pglite', close: () => db.destroy() }
}

// Lives as long as the worker (test files share the worker with isolate: false); on PostgreSQL
// global-setup drops it with the run's other databases.
const worker = globalThis as { sharedTestDb?: Promise<TestDb> }
const sharedDatabase = () => (worker.sharedTestDb ??= freshDatabase())

/** A database for a file: the worker's shared one (never closed by the file) or its own. */
export async function openTestDb(
  database: DatabaseChoice = 'own',
): Promise<TestDb & { close: () => Promise<void> }> {
  if (database === 'own') return freshDatabase()
  const { db, kind, url } = await sharedDatabase()
  return { db, kind, ...(url && { url }), close: async () => {} }
}

/** Registers the file's database in beforeAll/afterAll; read `.db` inside tests. */
export function useTestDb(options: { database?: DatabaseChoice } = {}): TestDb {
  const ref = {} as TestDb & { close?: () => Promise<void> }
  beforeAll(async () => Object.assign(ref, await openTestDb(options.database ?? 'shared')))
  afterAll(async () => ref.close?.())
  return ref
}

export { onPostgres }
