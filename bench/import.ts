// CSV import at 100,000 rows (issue 12): a real `gateway serve` process on a fresh PostgreSQL
// database, the CSV streamed to POST /admin/api/v1/tenants/bench/imports, the gateway's own job
// applying it; rows/s from the upload to the last row applied, the gateway's RSS sampled from
// /proc (at 10,000 rows done and at the end, and its peak), then in the same run a plain COPY
// of the same people (users, memberships, invitations, outbox: what the import writes) into
// a second tenant of the same database.
//   npx tsx bench/import.ts   (env BENCH_DATABASE_URL, BENCH_ROWS (100000))
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { copyIn } from './copy.js'
import { createApiKey } from '../src/admin/api-keys.js'
import { loadConfig } from '../src/config.js'
import { dbOn } from '../src/db/database.js'
import { hashToken, newToken } from '../src/lib/tokens.js'
import { seal } from '../src/lib/seal.js'
import { createTenant, databaseDirectoryOf } from '../src/tenants/tenants.js'
import { benchGateway } from './support.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000)
const line = (i: number) =>
  `person.${i}@bench-import.example,First${i % 977},Last${i % 131},+32 4${String(i).padStart(8, '0')},Engineer,EMP-${i},en,user,,member\n`
const HEADER = 'email,firstName,lastName,phone,jobTitle,externalId,locale,role,organization,kind\n'

const rssOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

function upload(port: number, slug: string, key: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({
      port,
      method: 'POST',
      path: `/admin/api/v1/tenants/${slug}/imports`,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'text/csv', Host: 'localhost' },
    })
    req.on('response', (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    let i = 0
    const pump = () => {
      if (i === 0) req.write(HEADER)
      while (i < ROWS) {
        const chunk = Array.from({ length: Math.min(1_000, ROWS - i) }, (_, k) => line(i + k)).join(
          '',
        )
        i += 1_000
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

async function getJson(port: number, path: string, key: string) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    request(
      { port, path, headers: { Authorization: `Bearer ${key}`, Host: 'localhost' } },
      (res) => {
        let body = ''
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve(JSON.parse(body)))
      },
    )
      .on('error', reject)
      .end()
  })
}

const tsv = (values: (string | null)[]) =>
  `${values.map((v) => (v === null ? '\\N' : v)).join('\t')}\n`
const hex = (b: Uint8Array) => `\\\\x${Buffer.from(b).toString('hex')}`

async function main() {
  const bench = await benchGateway({})
  try {
    await bench.ready()
    const config = loadConfig({
      NODE_ENV: 'test',
      SECRET_KEY: bench.secretKey,
      LOG_LEVEL: 'silent',
    })
    const db = dbOn({ url: bench.databaseUrl })
    const make = (slug: string) =>
      db
        .transaction()
        .execute((tx) =>
          createTenant(tx, { slug, name: slug, settings: config.tenantDefaults }, config),
        )
    const tenant = await make('bench')
    const { key } = await createApiKey(db, { tenantId: tenant.id, name: 'bench' })
    const pid = bench.gw.child.pid!
    const before = rssOf(pid)

    const started = performance.now()
    const answer = await upload(bench.gw.port, 'bench', key)
    if (answer.status !== 202) throw new Error(`upload: ${answer.status} ${answer.body}`)
    const uploaded = performance.now()
    const id = (JSON.parse(answer.body) as { id: string }).id
    let at10k: number | undefined
    let view: Record<string, unknown>
    for (;;) {
      view = await getJson(bench.gw.port, `/admin/api/v1/tenants/bench/imports/${id}`, key)
      const done = (view.rows as { done: number }).done
      if (at10k === undefined && done >= 10_000) at10k = rssOf(pid).rss
      if (view.state === 'done' || view.state === 'failed') break
      if (process.env.BENCH_VERBOSE)
        console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s: ${done} rows done`)
      await new Promise((r) => setTimeout(r, process.env.BENCH_VERBOSE ? 2_000 : 250))
    }
    const finished = performance.now()
    const after = rssOf(pid)
    const importSeconds = (finished - started) / 1000
    console.log(`import: ${JSON.stringify(view.counts)} state ${view.state}`)
    console.log(
      `  upload + staging ${((uploaded - started) / 1000).toFixed(1)} s, applied by ${importSeconds.toFixed(1)} s`,
    )
    console.log(`  ${Math.round(ROWS / importSeconds)} rows/s end to end`)
    console.log(
      `  gateway RSS: ${before.rss.toFixed(0)} MB before, ${at10k?.toFixed(0)} MB at 10,000 rows done, ${after.rss.toFixed(0)} MB at ${ROWS} rows; peak (VmHWM) ${after.peak.toFixed(0)} MB`,
    )

    // COPY of the same people into a second tenant: users, memberships, invitations, outbox.
    const other = await make('copy')
    const directory = await databaseDirectoryOf(db, other.id)
    const client = new pg.Client({ connectionString: bench.databaseUrl })
    await client.connect()
    const users = Array.from({ length: ROWS }, () => randomUUID())
    const memberships = Array.from({ length: ROWS }, () => randomUUID())
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString()
    const copyStart = performance.now()
    await client.query('begin')
    await copyIn(
      client,
      'copy users (id, directory_id, email, email_key, first_name, last_name, phone, job_title, external_id, locale) from stdin',
      function* () {
        for (let i = 0; i < ROWS; i++) {
          const [email, first, last, phone, job, ext, locale] = line(i).trim().split(',')
          yield tsv([
            users[i]!,
            directory.id,
            email!,
            email!,
            first!,
            last!,
            phone!,
            job!,
            ext!,
            locale!,
          ])
        }
      },
    )
    await copyIn(
      client,
      'copy memberships (id, tenant_id, directory_id, user_id, kind, role, groups, products, status) from stdin',
      function* () {
        for (let i = 0; i < ROWS; i++)
          yield tsv([
            memberships[i]!,
            other.id,
            directory.id,
            users[i]!,
            'member',
            'user',
            '["Everybody"]',
            '[]',
            'invited',
          ])
      },
    )
    await copyIn(
      client,
      'copy invitations (tenant_id, membership_id, token_hash, token_sealed, locale, expires_at) from stdin',
      function* () {
        for (let i = 0; i < ROWS; i++) {
          const token = newToken()
          yield tsv([
            other.id,
            memberships[i]!,
            hex(hashToken(token)),
            hex(seal(bench.secretKey, 'invitation', token)),
            'en',
            expires,
          ])
        }
      },
    )
    await copyIn(
      client,
      'copy outbox (tenant_id, template, locale, to_address, to_name, data, secret) from stdin',
      function* () {
        for (let i = 0; i < ROWS; i++) {
          const email = `person.${i}@bench-import.example`
          const data = JSON.stringify({
            firstName: `First${i % 977}`,
            email,
            expiresAt: expires,
            storeKind: 'web',
          })
          yield tsv([
            other.id,
            'invitation',
            'en',
            email,
            `First${i % 977} Last${i % 131}`,
            data,
            hex(
              seal(
                bench.secretKey,
                'outbox',
                JSON.stringify({ link: `https://x/invite/${newToken()}` }),
              ),
            ),
          ])
        }
      },
    )
    await client.query('commit')
    const copySeconds = (performance.now() - copyStart) / 1000
    await client.end()
    console.log(
      `COPY of the same rows (4 tables, one transaction): ${copySeconds.toFixed(1)} s, ${Math.round(ROWS / copySeconds)} rows/s`,
    )
    console.log(`import rate / COPY rate: ${((copySeconds / importSeconds) * 100).toFixed(0)} %`)
    await db.destroy()
  } finally {
    await bench.close()
  }
}

await main()
