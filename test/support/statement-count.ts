import { readFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PostgresDialect } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import { type Db, PGLITE_EXTENSIONS } from '../../src/db/database.js'
import type { Database } from '../../src/db/schema.js'
import { type Gateway, separateApp } from './harness.js'

/**
 * Puts `gw`'s app on a Kysely that logs every statement it sends, on the database the rest of
 * the file uses: the same server database, or (PGlite, one connection per instance) a database
 * of the file's own loaded from the migrated dump. Returns `statementsOf(action)`: the
 * statements `action` sent, in order. For the files that hold a path to its round trips.
 */
export function countStatements(gw: Gateway) {
  let statements: string[] | undefined
  let counted: Db | undefined
  beforeAll(async () => {
    const log = (event: { level: string; query: { sql: string } }) => {
      if (event.level === 'query') statements?.push(event.query.sql)
    }
    const dialect = gw.url
      ? new PostgresDialect({ pool: new pg.Pool({ connectionString: gw.url, max: 4 }) })
      : new PGliteDialect(
          await PGlite.create({
            loadDataDir: new Blob([await readFile(inject('pgliteDump'))]),
            extensions: PGLITE_EXTENSIONS,
          }),
        )
    const db = new Kysely<Database>({ dialect, log })
    counted = db
    Object.assign(gw, { db, app: separateApp(gw, { db }) })
  })
  afterAll(() => counted?.destroy())

  return async function statementsOf(action: () => Promise<unknown>): Promise<string[]> {
    statements = []
    try {
      await action()
      return statements
    } finally {
      statements = undefined
    }
  }
}
