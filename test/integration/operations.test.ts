import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { type AddressInfo, connect, createServer } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { socketPathOf } from '../../src/db/pglite-share.js'
import { runMain } from '../support/cli.js'
import { freePort, httpGet, ready, runGateway, startGateway } from '../support/process.js'

// Issue 13, Operations, with the real `gateway serve` process: the management listener, where
// the listeners bind, and commands while the server runs on the embedded database.
const SPAWNS = { timeout: 300_000 }

/** An address of this machine that is not loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address

const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })

describe('gateway serve in development, on the embedded database', SPAWNS, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-ops-'))

  it('serves metrics on the management port only, listens on loopback only, and lets commands in while it runs', async () => {
    const managementPort = await freePort()
    const gw = await startGateway({ DATA_DIR: dataDir, MANAGEMENT_PORT: String(managementPort) })
    try {
      await gw.until(ready, '/readyz')
      // DESIGN.md: operators' endpoints are not tenants' endpoints.
      for (const host of ['demo.localhost', 'localhost'])
        expect((await httpGet(gw.port, '/metrics', host)).status).toBe(404)
      const metrics = await httpGet(managementPort, '/metrics')
      expect(metrics.status).toBe(200)
      expect(metrics.body).toMatch(
        /gateway_http_request_duration_seconds_count\{[^}]*route="\/readyz"[^}]*\} \d+/,
      )
      expect(metrics.body).toMatch(/gateway_db_pool_connections\{state="in_flight"\} \d+/)
      expect(metrics.body).toMatch(/^gateway_db_up 1$/m)
      expect((await httpGet(managementPort, '/readyz')).status).toBe(200)
      expect((await httpGet(managementPort, '/', 'demo.localhost')).status).toBe(404)

      // The dev mailbox shows live links: nothing but this machine may connect.
      expect(await accepts('127.0.0.1', gw.port)).toBe(true)
      if (external) {
        expect(await accepts(external, gw.port)).toBe(false)
        expect(await accepts(external, managementPort)).toBe(false)
      }

      // Commands reach the running server's database through its socket (owner-only).
      expect(statSync(join(dataDir, 'run')).mode & 0o777).toBe(0o700)
      expect(statSync(socketPathOf(dataDir)).mode & 0o777).toBe(0o600)
      const started = Date.now()
      const created = await runGateway(
        ['tenant', 'create', '--slug', 'from-cli', '--name', 'From The CLI'],
        { DATA_DIR: dataDir },
      )
      const createMs = Date.now() - started
      expect(created).toMatchObject({ code: 0 })
      expect(created.stdout).toContain('created tenant from-cli')
      const listStarted = Date.now()
      const listed = await runGateway(['tenant', 'list', '--json'], { DATA_DIR: dataDir })
      const listMs = Date.now() - listStarted
      expect(listed.code).toBe(0)
      expect(JSON.parse(listed.stdout).map((t: { slug: string }) => t.slug)).toContain('from-cli')
      console.info(
        `gateway tenant create ${createMs} ms, tenant list ${listMs} ms (server running)`,
      )
      // The server sees the command's tenant (its tenant cache forgets unknown hosts quickly).
      await gw.until(
        async () => (await httpGet(gw.port, '/', 'from-cli.localhost')).status === 200,
        "the command's tenant",
      )
    } finally {
      expect(await gw.stop()).toBe(0)
    }
    expect(existsSync(socketPathOf(dataDir))).toBe(false)
    // Stopped: the next command opens the database itself.
    const after = await runGateway(['tenant', 'list'], { DATA_DIR: dataDir })
    expect(after.code).toBe(0)
    expect(after.stdout).toContain('from-cli')
  })
})

describe('gateway serve with a MANAGEMENT_PORT already taken', SPAWNS, () => {
  it('stops with the reason instead of serving tenants unwatched', async () => {
    const taken = createServer().listen(0, '127.0.0.1')
    await once(taken, 'listening')
    try {
      const port = await freePort()
      const { code, stdout, stderr } = await runGateway(['serve'], {
        DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-ops-taken-')),
        PORT: String(port),
        MANAGEMENT_PORT: String((taken.address() as AddressInfo).port),
      })
      expect(code).toBe(1)
      expect(`${stdout}${stderr}`).toContain('EADDRINUSE')
    } finally {
      taken.close()
    }
  })
})

describe('a command while another process holds the embedded database', () => {
  it('says what holds it, and to try again, before that server shares it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gw-ops-held-'))
    // A live process that is not a gateway (this test's parent) holds the lock, and no socket.
    writeFileSync(join(dataDir, 'pglite.pid'), String(process.ppid))
    const held = await runMain(['tenant', 'list'], { DATA_DIR: dataDir })
    expect(held.code).toBe(1)
    expect(held.err).toContain(`is in use by process ${process.ppid}`)
    expect(held.err).toContain('try again in a moment')
  })
})

describe('gateway serve in production', SPAWNS, () => {
  it.skipIf(!external)('listens on every interface unless HOST says otherwise', async () => {
    const gw = await startGateway({
      NODE_ENV: 'production',
      SECRET_KEY: 'operations-test-secret-operations-test-0123',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'gw-ops-prod-')),
    })
    try {
      await gw.until(ready, '/readyz')
      expect(await accepts(external as string, gw.port)).toBe(true)
    } finally {
      expect(await gw.stop()).toBe(0)
    }
  })
})
