import { mkdtempSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { admin, withDatabase } from '../support/global-setup.js'
import { runMain } from '../support/cli.js'
import { onPostgres } from '../support/database.js'
import { freePort, healthy, httpGet, ready, runGateway, startGateway } from '../support/process.js'
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'

const SECRET = { SECRET_KEY: 'serve-test-secret-serve-test-secret-0123' }
// Starting node + tsx (and initdb on PGlite) takes long on a loaded machine: these tests wait for
// the process to answer, bounded only by this, never by a deadline of a few seconds.
const SPAWNS = { timeout: 240_000 }

// Issue 2, "How it will be checked": the real `gateway` process, as a person starts it.
// (The command line's usage and configuration errors are tested in-process: cli-tenants.test.ts.)
describe('gateway serve on the embedded database', SPAWNS, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-serve-'))

  it('serves the demo tenant, 404s an unknown host, holds its data directory, and stops cleanly on SIGTERM', async () => {
    const gw = await startGateway({ DATA_DIR: dataDir })
    try {
      await gw.until(ready, '/readyz')
      const demo = await httpGet(gw.port, '/', `demo.localhost:${gw.port}`)
      expect(demo.status).toBe(200)
      expect(demo.body).toContain('Demo Store')
      expect((await httpGet(gw.port, '/', 'unknown.localhost')).status).toBe(404)
      expect(gw.output()).toContain('SECRET_KEY is not set: generated one')
      expect(gw.output()).toContain(`http://demo.localhost:${gw.port}/`)

      // The CLI's entry point in this process (bin/gateway.js runs just this): the data
      // directory is the spawned gateway's while it runs, and the command goes through the
      // socket the server shares it on (issue 13).
      const listed = await runMain(['tenant', 'list'], { DATA_DIR: dataDir })
      expect(listed).toMatchObject({ code: 0, err: '' })
      expect(listed.out).toContain('Demo Store')
    } finally {
      expect(await gw.stop('SIGTERM')).toBe(0)
    }
    // A clean stop: no request had to be cut off, the port is free, the directory released.
    expect(gw.output()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/)
    expect(gw.output()).not.toContain('closing their connections')
    await expect(httpGet(gw.port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('keeps its data and its generated key across a restart', async () => {
    const created = await runMain(
      ['tenant', 'create', '--slug', 'second', '--name', 'Second Store'],
      {
        DATA_DIR: dataDir,
      },
    )
    expect(created).toMatchObject({ code: 0 })

    const gw = await startGateway({ DATA_DIR: dataDir })
    try {
      await gw.until(ready, '/readyz')
      expect((await httpGet(gw.port, '/', 'second.localhost')).body).toContain('Second Store')
      expect((await httpGet(gw.port, '/', 'demo.localhost')).body).toContain('Demo Store')
      expect(gw.output()).not.toContain('generated one') // the key of the first start was kept
    } finally {
      expect(await gw.stop()).toBe(0)
    }
  })
})

describe.skipIf(!onPostgres())('gateway serve on PostgreSQL', SPAWNS, () => {
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
      await Promise.all([a.until(ready, 'a ready'), b.until(ready, 'b ready')])
      expect((await httpGet(a.port, '/', 'demo.localhost')).status).toBe(200)
      expect((await httpGet(b.port, '/', 'demo.localhost')).status).toBe(200)
      const listed = await runGateway(['tenant', 'list', '--json'], {
        ...SECRET,
        DATABASE_URL: url,
      })
      // One demo store and one platform tenant (PLATFORM_HOST admin.localhost), each made once.
      expect(JSON.parse(listed.stdout).map((t: { slug: string }) => t.slug)).toEqual([
        'admin',
        'demo',
      ])
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
      await gw.until(healthy, '/healthz')
      const down = await httpGet(gw.port, '/readyz')
      expect(down.status).toBe(503)
      expect(JSON.parse(down.body)).toEqual({
        status: 'unavailable',
        checks: { database: 'unreachable', migrations: 'unknown' },
      })
      expect((await httpGet(gw.port, '/', 'demo.localhost')).status).toBe(503)
      await gw.until(async () => gw.output().includes('database not ready'), 'a clear log line')
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

      await gw.until(ready, '/readyz after the database came back')
      expect((await httpGet(gw.port, '/', 'demo.localhost')).status).toBe(200)
    } finally {
      await gw.stop()
      proxy?.close()
    }
  })
})
