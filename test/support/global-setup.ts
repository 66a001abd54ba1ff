import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { dbOn } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrate.js'

// Per run, so two people testing on one server at once do not drop each other's databases.
export const RUN = `${process.pid}`
export const TEMPLATE = `gateway_template_${RUN}`
export const CLONE_PREFIX = `gateway_t_${RUN}_`

/**
 * Once per run, before any worker starts: a migrated database that every test database copies.
 * On PostgreSQL a template database; on PGlite a dump of a migrated data directory, which a
 * worker loads in a fraction of what initdb and the migrations cost it.
 */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL
  if (!url) return dumpMigratedPglite(project)
  await admin(url, `drop database if exists ${TEMPLATE} with (force)`)
  await admin(url, `create database ${TEMPLATE}`)
  const db = dbOn({ url: withDatabase(url, TEMPLATE) })
  await migrateToLatest(db)
  await db.destroy()
  project.provide('databaseUrl', url)
  project.provide('templateDb', TEMPLATE)
  project.provide('clonePrefix', CLONE_PREFIX)

  return async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where starts_with(datname, $1) or datname = $2`,
      [CLONE_PREFIX, TEMPLATE],
    )
    for (const { datname } of rows)
      await client.query(`drop database if exists "${datname}" with (force)`)
    await client.end()
  }
}

async function dumpMigratedPglite(project: TestProject) {
  const pglite = await PGlite.create()
  const db = dbOn({ pglite })
  await migrateToLatest(db)
  const file = join(tmpdir(), `gateway-test-pglite-${RUN}.tar`)
  writeFileSync(file, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()))
  await db.destroy()
  project.provide('pgliteDump', file)
  return () => rmSync(file, { force: true })
}

export async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string | undefined
    templateDb: string
    clonePrefix: string
    pgliteDump: string
  }
}
