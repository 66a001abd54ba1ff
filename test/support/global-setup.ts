import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { dbOn, PGLITE_EXTENSIONS } from '../../src/db/database.js'
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

// The dump is kept between runs, named by what makes it: the migrations and the PGlite version.
// A changed migration, or a new PGlite, names another file; a warm run skips initdb altogether.
async function dumpMigratedPglite(project: TestProject) {
  const cache = join(tmpdir(), 'gateway-test-cache')
  const file = join(cache, `pglite-${migrationsHash()}.tar`)
  if (!existsSync(file)) {
    const pglite = await PGlite.create({ extensions: PGLITE_EXTENSIONS })
    const db = dbOn({ pglite })
    await migrateToLatest(db)
    const dump = Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer())
    await db.destroy()
    mkdirSync(cache, { recursive: true })
    // Written aside, then renamed: a run started at the same moment never reads half a file.
    const partial = `${file}.${RUN}`
    writeFileSync(partial, dump)
    renameSync(partial, file)
  }
  project.provide('pgliteDump', file)
}

function migrationsHash(): string {
  const root = new URL('../../', import.meta.url)
  const hash = createHash('sha256')
  const pglite = new URL('node_modules/@electric-sql/pglite/package.json', root)
  hash.update(JSON.parse(readFileSync(pglite, 'utf8')).version)
  const dir = new URL('migrations/', root)
  for (const name of readdirSync(dir).sort())
    hash.update(name).update(readFileSync(new URL(name, dir)))
  hash.update(readFileSync(new URL('src/db/migrate.ts', root)))
  return hash.digest('hex').slice(0, 16)
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
