// What the benchmarks of a running gateway share: a fresh PostgreSQL database, a `gateway serve`
// process on it, and a tenant "bench" whose members have a password.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { dbOn } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { setPassword } from '../src/identity/credentials.js'
import { createHasher } from '../src/identity/hashing.js'
import { insertMembership, upsertUser } from '../src/identity/users.queries.js'
import { createTenant, databaseDirectoryOf } from '../src/tenants/tenants.js'
import { execFileSync } from 'node:child_process'
import { COMPILED_BIN, httpGet, startGateway, waitFor } from '../test/support/process.js'

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function admin(statement: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  await client.query(statement).finally(() => client.end())
}

/** The benches measure what production runs: the compiled gateway, built first if stale. */
export function compiledGateway(): string {
  execFileSync(process.execPath, [new URL('../scripts/build.js', import.meta.url).pathname, '--if-stale'], {
    stdio: 'inherit',
  })
  return COMPILED_BIN
}

/**
 * A gateway process on a database of its own (dropped by `close`). BENCH_NODE_ARGS goes to its
 * `node`, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it.
 */
export async function benchGateway(env: Record<string, string>) {
  const name = `gateway_bench_${randomBytes(4).toString('hex')}`
  await admin(`create database ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const secretKey = randomBytes(32).toString('base64url')
  const gw = await startGateway(
    {
      DATABASE_URL: url.toString(),
      SECRET_KEY: secretKey,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...env,
    },
    process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean),
    compiledGateway(),
  )
  return {
    gw,
    databaseUrl: url.toString(),
    secretKey,
    ready: () =>
      waitFor(
        async () => (await httpGet(gw.port, '/readyz')).status === 200,
        30_000,
        'gateway ready',
      ),
    async close() {
      const exit = await gw.stop()
      if (exit !== 0) console.error(`gateway exited with ${exit}:\n${gw.output()}`)
      await admin(`drop database if exists ${name} with (force)`)
    },
  }
}

/**
 * Migrates the database and creates the tenant "bench" with an active member per email, each
 * with `password`. Returns the open database (destroy it when done) and the tenant.
 */
export async function seedBenchTenant(
  databaseUrl: string,
  secretKey: string,
  emails: string[],
  password: string,
) {
  const config = loadConfig({ NODE_ENV: 'test', SECRET_KEY: secretKey, LOG_LEVEL: 'silent' })
  const db = dbOn({ url: databaseUrl })
  await migrateToLatest(db)
  const tenant = await db
    .transaction()
    .execute((tx) =>
      createTenant(tx, { slug: 'bench', name: 'Bench', settings: config.tenantDefaults }, config),
    )
  const directory = await databaseDirectoryOf(db, tenant.id)
  const hasher = createHasher()
  for (const email of emails) {
    const { user } = await upsertUser(db, { directory_id: directory.id, email, email_key: email })
    await insertMembership(db, {
      tenant_id: tenant.id,
      directory_id: directory.id,
      user_id: user.id,
      status: 'active',
    })
    const credential = {
      directoryId: directory.id,
      userId: user.id,
      password,
      policy: tenant.settings.passwordPolicy,
      context: { email },
    }
    await setPassword(db, credential, hasher)
  }
  return { db, tenant }
}
