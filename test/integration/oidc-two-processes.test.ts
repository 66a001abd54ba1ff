import { once } from 'node:events'
import { createServer, request, type Server } from 'node:http'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp as createGatewayApp } from '../../src/app.js'
import { createHasher } from '../../src/identity/hashing.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, TEST_ENV, useGateway } from '../support/harness.js'
import {
  authorizationRequest,
  authorize,
  endSession,
  httpBrowser,
  REDIRECT,
  relyingParty,
} from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'
import { freePort, type GatewayProcess, ready, startGateway } from '../support/process.js'

// Issue 4, Storage: "two gateway processes behind one load balancer serve one login flow between
// them". A round-robin balancer sends each request to the other gateway than the one before. On
// PostgreSQL the two are real `gateway serve` processes; on PGlite (one process per database)
// they are two apps built apart in this process, sharing nothing but the database.

type Hop = { backend: number; method: string; path: string; status: number }

/** A load balancer on `port` that alternates between `backends`; remembers each hop. */
async function roundRobin(port: number, backends: () => number[]) {
  const hops: Hop[] = []
  let turn = 0
  const server: Server = createServer((req, res) => {
    const list = backends()
    const backend = turn++ % list.length
    const upstream = request(
      {
        host: '127.0.0.1',
        port: list[backend],
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        hops.push({
          backend,
          method: req.method ?? 'GET',
          path: new URL(req.url ?? '/', 'http://x').pathname,
          status: answer.statusCode ?? 0,
        })
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return { hops, close: () => new Promise((resolve) => server.close(resolve)) }
}

const port = await freePort()
const env = { PUBLIC_URL_TEMPLATE: `http://{host}:${port}` }
const gw = useGateway(env)
const { member } = pageHelpers(gw)
let balancer: Awaited<ReturnType<typeof roundRobin>>
let backendPorts: number[] = []
const stops: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  balancer = await roundRobin(port, () => backendPorts)
  if (onPostgres()) {
    const processes: GatewayProcess[] = await Promise.all(
      [0, 1].map(() => startGateway({ ...TEST_ENV, ...env, DATABASE_URL: gw.url! })),
    )
    for (const p of processes) {
      stops.push(() => p.stop())
      await p.until(ready, 'ready')
    }
    backendPorts = processes.map((p) => p.port)
  } else {
    for (let i = 0; i < 2; i++) {
      const app = createGatewayApp({
        config: gw.config,
        db: gw.db,
        log: memoryLog().log,
        readiness: { migrated: true },
        hasher: createHasher(),
      })
      const server = app.listen(0, '127.0.0.1')
      await once(server, 'listening')
      stops.push(() => new Promise((resolve) => server.close(resolve)))
      backendPorts.push((server.address() as { port: number }).port)
    }
  }
}, 240_000) // spawning two node + tsx processes on a loaded machine
afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()))
  await balancer?.close()
})

describe(`one login flow served by two gateways (${onPostgres() ? 'processes' : 'apps'})`, () => {
  it('authorizes, signs in, exchanges the code, refreshes and logs out across both', async () => {
    const person = { email: 'ada@example.com', password: PASSWORD }
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const browser = httpBrowser()

    const { tokens, at } = await authorize(config, person, { browser })
    expect(at.url.href.startsWith(REDIRECT)).toBe(true)
    expect(tokens?.claims()?.email).toBe(person.email)

    // Every step of the flow went to the other gateway than the step before: what one stored
    // (interaction, session, code), the other read.
    const flow = balancer.hops.filter((h) => /^\/(auth|interaction|login)/.test(h.path))
    expect(flow.length, JSON.stringify(flow)).toBeGreaterThanOrEqual(6)
    flow.forEach((hop, i) => i > 0 && expect(hop.backend).not.toBe(flow[i - 1]!.backend))

    const info = await client.fetchUserInfo(config, tokens!.access_token, tokens!.claims()!.sub)
    expect(info.email).toBe(person.email)
    const refreshed = await client.refreshTokenGrant(config, tokens!.refresh_token!)
    const again = await client.refreshTokenGrant(config, refreshed.refresh_token!)
    expect(again.access_token).toBeTruthy()
    // The rotated refresh token is refused by whichever gateway gets it.
    for (let i = 0; i < 2; i++)
      await expect(client.refreshTokenGrant(config, tokens!.refresh_token!)).rejects.toThrow()

    // Single sign-on for a second app of the tenant, whichever gateway answers.
    const second = await relyingParty(gw, tenant, {
      name: 'Back office',
      type: 'web',
      redirectUris: [REDIRECT],
    })
    for (let i = 0; i < 2; i++) {
      const sso = await authorize(second.config, person, { browser })
      expect(sso.tokens?.claims()?.sub).toBe(tokens!.claims()!.sub)
    }
    expect(
      balancer.hops.filter((h) => h.method === 'POST' && h.path === '/login'),
      'signed in once',
    ).toHaveLength(1)

    const out = await endSession(browser, config, again.id_token!)
    expect(out.res.status).toBe(200)
    // Logged out on both: a new authorization asks for the password, whichever gateway answers.
    for (let i = 0; i < 2; i++) {
      const { url } = await authorizationRequest(config)
      expect((await browser.follow(url)).url.pathname).toBe('/login')
    }
  })
})
