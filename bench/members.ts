// Member search at 1,000,000 members (issue 11): a fresh PostgreSQL database, the real
// migrations, one tenant whose members are written with COPY, then p50/p99 of the admin API's
// own search function (src/members/search.ts: the page, its cursor and its total) for prefix
// search, keyset paging, filters and substring search.
//   npx tsx bench/members.ts   (env BENCH_DATABASE_URL, BENCH_MEMBERS (1000000), BENCH_RUNS (200))
import { randomBytes, randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import pg from 'pg'
import { copyIn } from './copy.js'
import { loadConfig } from '../src/config.js'
import { dbOn } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { searchMembers } from '../src/members/search.js'
import { createTenant, databaseDirectoryOf } from '../src/tenants/tenants.js'

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1_000_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 200)

const FIRST =
  'Ada Alan Grace Linus Barbara Ken Dennis Margaret Edsger Donald Frances John Radia Tim Vint Shafi Leslie Niklaus Sophie Hedy Katherine Annie Jean Mary Evelyn Karen Lynn Adele Ida Klara Bjarne Guido James Anders Yukihiro Rasmus Brendan Larry Sergey Steve Bill Paul Ward Douglas Ivan Alonzo Kurt Emmy Sofia Ruth'.split(
    ' ',
  )
const LAST =
  'Lovelace Turing Hopper Torvalds Liskov Thompson Ritchie Hamilton Dijkstra Knuth Allen McCarthy Perlman Berners-Lee Cerf Goldwasser Lamport Wirth Wilson Lamarr Johnson Easley Sammet Keller Berezin Jones Conway Goldberg Noether Dan Stroustrup Rossum Gosling Hejlsberg Matsumoto Lerdorf Eich Page Brin Wozniak Gates Allen Cunningham Engelbart Sutherland Church Godel Bauer Kovalevskaya Teitelbaum'.split(
    ' ',
  )
const ROLES = ['user', 'user', 'user', 'user', 'manager', 'admin']
const GROUPS = Array.from({ length: 10 }, (_, i) => `Group ${i}`)
const pick = <T>(list: T[], i: number) => list[i % list.length]!

const tsv = (values: (string | null)[]) =>
  `${values.map((v) => (v === null ? '\\N' : v.replace(/[\\\t\n]/g, ' '))).join('\t')}\n`

async function seed(url: string) {
  const config = loadConfig({
    NODE_ENV: 'test',
    SECRET_KEY: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'silent',
  })
  const db = dbOn({ url })
  await migrateToLatest(db)
  const tenant = await db
    .transaction()
    .execute((tx) =>
      createTenant(tx, { slug: 'bench', name: 'Bench', settings: config.tenantDefaults }, config),
    )
  const directory = await databaseDirectoryOf(db, tenant.id)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const ids = Array.from({ length: MEMBERS }, () => randomUUID())
  const started = performance.now()
  await copyIn(
    client,
    'copy users (id, directory_id, email, email_key, first_name, last_name, phone, job_title, external_id) from stdin',
    function* () {
      for (let i = 0; i < MEMBERS; i++) {
        const first = pick(FIRST, i * 7 + (i >> 8))
        const last = pick(LAST, i * 13 + (i >> 6))
        const email = `${first}.${last}.${i}@company${i % 97}.example`.toLowerCase()
        const phone = i % 3 === 0 ? `+32 4${String(i).padStart(8, '0')}` : null
        const external = i % 2 === 0 ? `EMP-${i}` : null
        yield tsv([ids[i]!, directory.id, email, email, first, last, phone, 'Engineer', external])
      }
    },
  )
  const base = Date.parse('2024-01-01T00:00:00Z')
  await copyIn(
    client,
    'copy memberships (tenant_id, directory_id, user_id, kind, role, groups, products, organization, status, created_at) from stdin',
    function* () {
      for (let i = 0; i < MEMBERS; i++) {
        const groups = JSON.stringify(['Everybody', pick(GROUPS, i * 31)])
        // Guests in runs of 8 people, so they fall in every group (i % 20 put all in one).
        const kind = (i >> 3) % 20 === 0 ? 'guest' : 'member'
        const status = i % 50 === 0 ? 'disabled' : i % 25 === 0 ? 'invited' : 'active'
        const created = new Date(base + i * 30_000).toISOString()
        yield tsv([
          tenant.id,
          directory.id,
          ids[i]!,
          kind,
          pick(ROLES, i * 11),
          groups,
          '[]',
          `Org ${i % 500}`,
          status,
          created,
        ])
      }
    },
  )
  await client.query('analyze')
  console.log(
    `${MEMBERS} members written with COPY and analysed in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  await client.end()
  return { db, tenant }
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

async function measure(label: string, run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 10; i++) await run(i) // warm the cache and the plans
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now()
    await run(i + 10)
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const row = `| ${label.padEnd(44)} | ${percentile(times, 50).toFixed(1).padStart(7)} ms | ${percentile(times, 99).toFixed(1).padStart(7)} ms |`
  console.log(row)
}

/** BENCH_KEEP=NAME: the database NAME is kept after the run and reused (not seeded) by the next. */
const KEEP = process.env.BENCH_KEEP

async function reuse(url: string) {
  const db = dbOn({ url })
  await migrateToLatest(db)
  const tenant = await db
    .selectFrom('tenants')
    .select('id')
    .where('slug', '=', 'bench')
    .executeTakeFirstOrThrow()
  await sql`analyze`.execute(db)
  console.log(`reusing ${url.split('/').pop()}: its members as seeded before`)
  return { db, tenant }
}

async function main() {
  if (KEEP && !/^[a-z_][a-z0-9_]{0,62}$/.test(KEEP)) throw new Error('BENCH_KEEP: a database name')
  const name = KEEP ?? `gateway_bench_members_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  const exists = KEEP
    ? (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1
    : false
  if (!exists) await admin.query(`create database ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  try {
    const { db, tenant } = exists ? await reuse(url.toString()) : await seed(url.toString())
    const search = (query: Record<string, unknown>) => searchMembers(db, tenant.id, query)
    console.log(
      `| ${'query (a page of 50, its cursor and total)'.padEnd(44)} |       p50 |       p99 |`,
    )
    console.log(`| ${'-'.repeat(44)} | --------- | --------- |`)
    await measure('prefix, 3 letters of a name or email', (i) =>
      search({ q: pick(i % 2 ? FIRST : LAST, i * 7).slice(0, 3) }),
    )
    await measure('prefix, 1 letter', (i) => search({ q: pick(FIRST, i).slice(0, 1) }))
    await measure('prefix, full email', (i) => {
      const n = (i * 7919) % MEMBERS
      const email = `${pick(FIRST, n * 7 + (n >> 8))}.${pick(LAST, n * 13 + (n >> 6))}.${n}@`
      return search({ q: email.toLowerCase() })
    })
    for (const sort of ['name', 'email', '-created']) {
      let cursor: string | null = null
      await measure(`keyset paging, sort ${sort} (walking on)`, async () => {
        const page = await search({ sort, ...(cursor && { cursor }) })
        cursor = page.nextCursor
      })
    }
    await measure('filter role=manager', () => search({ role: 'manager' }))
    await measure('filter group + kind=guest', (i) =>
      search({ group: pick(GROUPS, i), kind: 'guest' }),
    )
    await measure('filter organization (2,000 members)', (i) =>
      search({ organization: `Org ${i % 500}` }),
    )
    await measure('filter status=disabled, sort email', () =>
      search({ status: 'disabled', sort: 'email' }),
    )
    await measure('prefix 2 letters + kind=guest', (i) =>
      search({ q: pick(FIRST, i).slice(0, 2), kind: 'guest' }),
    )
    await measure('prefix 3 letters + group', (i) =>
      search({ q: pick(LAST, i * 3).slice(0, 3), group: pick(GROUPS, i) }),
    )
    await measure('substring, 4 letters of a last name', (i) =>
      search({ q: pick(LAST, i * 3).slice(2, 6), match: 'contains' }),
    )
    await measure('substring, digits of a phone', (i) =>
      search({ q: String(10_000 + ((i * 7919) % 90_000)), match: 'contains' }),
    )
    await db.destroy()
  } finally {
    if (!KEEP) await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

await main()
