import { once } from 'node:events'
import { createServer, request, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { createHasher } from '../../src/identity/hashing.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, TEST_ENV, useGateway } from '../support/harness.js'
import { atCallback, connectOidc, ssoBrowser, useCompanyIdp } from '../support/oidc-idp.js'
import { pageHelpers } from '../support/pages.js'
import { freePort, ready, startGateway } from '../support/process.js'

// Issue 10, "the login started on one gateway process and finished on another": the sign-in in
// flight lives in the database (sso_requests), not in the process that sent the person to the
// IdP. On PostgreSQL the two are real `gateway serve` processes (nothing in memory shared); on
// PGlite (one process per database) two apps built apart in this process.

const port = await freePort()
const env = { PUBLIC_URL_TEMPLATE: `http://{host}:${port}` }
const gw = useGateway(env)
const idp = useCompanyIdp()
const { store } = pageHelpers(gw)
const backends: number[] = []
const stops: (() => Promise<unknown>)[] = []
/** Which gateway the public port sends the next requests to. */
let turn = 0
let proxy: Server

beforeAll(async () => {
  proxy = createServer((req, res) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: backends[turn],
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  proxy.listen(port, '127.0.0.1')
  await once(proxy, 'listening')
  if (onPostgres()) {
    const processes = await Promise.all(
      [0, 1].map(() => startGateway({ ...TEST_ENV, ...env, DATABASE_URL: gw.url! })),
    )
    for (const p of processes) {
      stops.push(() => p.stop())
      await p.until(ready, 'ready')
      backends.push(p.port)
    }
  } else {
    for (let i = 0; i < 2; i++) {
      const app = createApp({
        config: gw.config,
        db: gw.db,
        log: memoryLog().log,
        readiness: { migrated: true },
        hasher: createHasher(),
      })
      const server = app.listen(0, '127.0.0.1')
      await once(server, 'listening')
      stops.push(() => new Promise((resolve) => server.close(resolve)))
      backends.push((server.address() as { port: number }).port)
    }
  }
}, 240_000) // spawning two node + tsx processes on a loaded machine
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()))
  await new Promise((resolve) => proxy?.close(resolve))
})

describe(`an OIDC sign-in across two gateways (${onPostgres() ? 'processes' : 'apps'})`, () => {
  it('starts on one gateway and finishes on the other; the session holds on both', async () => {
    const { tenant } = await store()
    idp.users.set('grace', {
      password: 'grace-at-corp',
      email: 'grace@corp.example',
      given_name: 'Grace',
    })
    const { directoryId } = await connectOidc(gw, tenant, idp)
    const browser = ssoBrowser()

    turn = 0
    const start = new URL(`/sso/${directoryId}/start?return_to=/`, tenant.publicUrl)
    const form = await browser.follow(start)
    expect(form.url.origin).toBe(idp.issuer)
    const back = await browser.signInAtIdp(form, 'grace', 'grace-at-corp', atCallback)

    turn = 1
    const answer = await browser.request(back.next!)
    expect(answer.res.status).toBe(303)
    expect(answer.res.headers.get('location')).toBe('/')

    for (turn of [0, 1]) {
      const home = await browser.request(new URL('/', tenant.publicUrl))
      expect(await home.res.text(), `gateway ${turn}`).toContain('grace@corp.example')
    }
  })
})
