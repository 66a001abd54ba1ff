import { mkdtempSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { admin, withDatabase } from '../support/global-setup.js'
import { onPostgres } from '../support/database.js'
import { freePort, httpGet, runGateway, startGateway, waitFor } from '../support/process.js'
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'

const SECRET = { SECRET_KEY: 'serve-test-secret-serve-test-secret-0123' }
const ready = (port: number) => async () => (await httpGet(port, '/readyz')).status === 200

// Issue 2, "How it will be checked": the real `gateway` process, as a person starts it.
describe('gateway serve on the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-serve-'))

  it('answers /healthz within 20 s, serves the demo tenant, 404s an unknown host, stops on SIGTERM', async () => {
    const gw = await startGateway({ DATA_DIR: dataDir })
    try {
      const healthyAfter = await waitFor(
        async () => (await httpGet(gw.port, '/healthz')).status === 200,
        20_000,
        '/healthz',
      )
      expect(healthyAfter).toBeLessThan(20_000)
      await waitFor(ready(gw.port), 30_000, '/readyz')
      const demo = await httpGet(gw.port, '/', `demo.localhost:${gw.port}`)
      expect(demo.status).toBe(200)
      expect(demo.body).toContain('Demo Store')
      expect((await httpGet(gw.port, '/', 'unknown.localhost')).status).toBe(404)
      expect(gw.output()).toContain('SECRET_KEY is not set: generated one')
      expect(gw.output()).toContain(`http://demo.localhost:${gw.port}/`)
    } finally {
      const started = Date.now()
      expect(await gw.stop('SIGTERM')).toBe(0)
      expect(Date.now() - started).toBeLessThan(10_000)
    }
  })

  it('keeps its data across a restart, and the CLI refuses to open a database in use', async () => {
    const created = await runGateway(
      ['tenant', 'create', '--slug', 'second', '--name', 'Second Store'],
      { DATA_DIR: dataDir },
    )
    expect(created).toMatchObject({ code: 0 })

    const gw = await startGateway({ DATA_DIR: dataDir })
    try {
      await waitFor(ready(gw.port), 30_000, '/readyz')
      expect((await httpGet(gw.port, '/', 'second.localhost')).body).toContain('Second Store')
      expect((await httpGet(gw.port, '/', 'demo.localhost')).body).toContain('Demo Store')
      expect(gw.output()).not.toContain('generated one') // the key of the first start was kept

      const busy = await runGateway(['tenant', 'list'], { DATA_DIR: dataDir })
      expect(busy.code).toBe(1)
      expect(busy.stderr).toContain('is in use by process')
    } finally {
      expect(await gw.stop()).toBe(0)
    }
  })
})

describe('gateway command line', () => {
  it('prints the usage and exits 2 without a command or with an unknown one', async () => {
    for (const args of [[], ['frobnicate']]) {
      const res = await runGateway(args, {})
      expect(res.code).toBe(2)
      expect(res.stderr).toContain('usage: gateway <command>')
    }
  })

  it('exits 1 with one clear line per bad variable and no stack trace', async () => {
    const res = await runGateway(['serve'], {
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://x',
      NODE_ENV: 'production',
    })
    expect(res.code).toBe(1)
    const lines = res.stderr.trim().split('\n')
    expect(lines[0]).toBe('Invalid configuration:')
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'SECRET_KEY']) {
      expect(lines.filter((l) => l.trimStart().startsWith(`${variable}:`))).toHaveLength(1)
    }
    expect(res.stderr).not.toMatch(/\n\s+at /)
  })
})

describe.skipIf(!onPostgres())('gateway serve on PostgreSQL', () => {
  const serverUrl = inject('databaseUrl') as string
  const databases: string[] = []
  afterAll(async () => {
    for (const name of databases)
      await admin(serverUrl, `drop database if exists ${name} with (force)`)
  })
  async function emptyDatabase(): Promise<string> {
    const name = `${inject('clonePrefix')}${randomBytes(6).toString('hex')}`
    databases.push(name)
    await admin(serverUrl, `create database ${name}`)
    return withDatabase(serverUrl, name)
  }

  it('brings two processes started at once on one empty database both up, with one demo tenant', async () => {
    const url = await emptyDatabase()
    const [a, b] = await Promise.all([
      startGateway({ ...SECRET, DATABASE_URL: url }),
      startGateway({ ...SECRET, DATABASE_URL: url }),
    ])
    try {
      await Promise.all([
        waitFor(ready(a.port), 30_000, 'a ready'),
        waitFor(ready(b.port), 30_000, 'b ready'),
      ])
      expect((await httpGet(a.port, '/', 'demo.localhost')).status).toBe(200)
      expect((await httpGet(b.port, '/', 'demo.localhost')).status).toBe(200)
      const listed = await runGateway(['tenant', 'list', '--json'], {
        ...SECRET,
        DATABASE_URL: url,
      })
      expect(JSON.parse(listed.stdout).map((t: { slug: string }) => t.slug)).toEqual(['demo'])
      expect(`${a.output()}${b.output()}`).not.toMatch(/migration .* failed|duplicate key/)
    } finally {
      expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0])
    }
  })

  it('starts while the database is down, answers /readyz 503, and recovers without a restart', async () => {
    const url = new URL(await emptyDatabase())
    const proxyPort = await freePort()
    const gw = await startGateway({
      ...SECRET,
      DATABASE_URL: `postgres://${url.username}@127.0.0.1:${proxyPort}${url.pathname}`,
    })
    let proxy: Server | undefined
    try {
      await waitFor(
        async () => (await httpGet(gw.port, '/healthz')).status === 200,
        20_000,
        '/healthz',
      )
      const down = await httpGet(gw.port, '/readyz')
      expect(down.status).toBe(503)
      expect(JSON.parse(down.body)).toEqual({
        status: 'unavailable',
        checks: { database: 'unreachable', migrations: 'unknown' },
      })
      expect((await httpGet(gw.port, '/', 'demo.localhost')).status).toBe(503)
      await waitFor(
        async () => gw.output().includes('database not ready'),
        10_000,
        'a clear log line',
      )
      expect(gw.output()).toMatch(/database not ready: .*ECONNREFUSED.*retrying/)

      proxy = createServer((client) => {
        const upstream = createConnection({
          host: '127.0.0.1',
          port: Number(new URL(serverUrl).port || 5432),
        })
        client.pipe(upstream).pipe(client)
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
      }).listen(proxyPort, '127.0.0.1')

      await waitFor(ready(gw.port), 30_000, '/readyz after the database came back')
      expect((await httpGet(gw.port, '/', 'demo.localhost')).status).toBe(200)
    } finally {
      await gw.stop()
      proxy?.close()
    }
  })
})
