import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { KyselyPlugin } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { dbOn } from '../../src/db/database.js'
import { onPostgres } from '../support/database.js'
import { separateApp } from '../support/harness.js'
import { authorize, REDIRECT, relyingParty, useOidcTestSetUp } from '../support/oidc.js'

// Found by a review from outside (issue 13): the token endpoint answered 500 while PostgreSQL
// was away. Every endpoint of the provider answers as the rest of the gateway does then: 503
// with Retry-After (OWASP ASVS 5.0 V16.5.3, fail safely; RFC 6749's temporarily_unavailable).
const { gw, member, person } = await useOidcTestSetUp()

/**
 * The database as a stopped server looks to the driver, while `down`; tenants still resolve (a
 * process that served the host in the last second has it cached), so the requests reach the
 * provider.
 */
function outage() {
  const state = { down: false }
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      if (state.down && !JSON.stringify(args.node).includes('"tenants"'))
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
          code: 'ECONNREFUSED',
        })
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  return { state, app: separateApp(gw, { db: gw.db.withPlugin(plugin) }) }
}

/** A machine app's client-credentials grant at the tenant's token endpoint. */
const clientCredentialsGrant = (http: supertest.Agent, host: string, authorization: string) =>
  http
    .post('/token')
    .set('Host', host)
    .set('Authorization', authorization)
    .type('form')
    .send({ grant_type: 'client_credentials' })
async function signedInWithMachine() {
  const { tenant, host } = await member(person.email)
  const web = await relyingParty(gw, tenant)
  const { tokens } = await authorize(web.config, person)
  const machine = await relyingParty(gw, tenant, { name: 'Sync', type: 'machine' })
  const basic = (app: { clientId: string; clientSecret?: string | null }) =>
    `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`
  return { tenant, host, tokens: tokens!, web: web.app, machine: machine.app, basic }
}

function expectUnavailable(res: supertest.Response, type: 'json' | 'html' = 'json') {
  expect(res.status, res.text).toBe(503)
  expect(res.headers['retry-after']).toBe('5')
  expect(res.headers['content-type']).toContain(type)
  if (type === 'json')
    expect(res.body).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The service is temporarily unavailable. Please try again in a moment.',
    })
  else expect(res.text).not.toMatch(/server_error|oops/)
}

describe('the OpenID Provider while the database is down', () => {
  it('answers 503 with Retry-After at every endpoint, and serves again once it is back', async () => {
    const { host, tokens, web, machine, basic } = await signedInWithMachine()
    const { state, app } = outage()
    const http = supertest(app)
    const clientCredentials = () => clientCredentialsGrant(http, host, basic(machine))
    // The provider is built (its keys read) before the outage.
    expect((await clientCredentials()).status).toBe(200)

    state.down = true
    expectUnavailable(await clientCredentials())
    expectUnavailable(
      await http
        .post('/token')
        .set('Host', host)
        .set('Authorization', basic(web))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    )
    for (const path of ['/token/introspection', '/token/revocation'])
      expectUnavailable(
        await http
          .post(path)
          .set('Host', host)
          .set('Authorization', basic(web))
          .type('form')
          .send({ token: tokens.access_token }),
      )
    const authorization = await http
      .get('/auth')
      .query({
        client_id: web.clientId,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })
      .set('Host', host)
      .set('Accept', 'text/html')
    expectUnavailable(authorization, 'html')
    expect(authorization.headers['location']).toBeUndefined()
    // Userinfo is the gateway's own route: its error handler's 503.
    const userinfo = await http
      .get('/me')
      .set('Host', host)
      .set('Authorization', `Bearer ${tokens.access_token}`)
    expect(userinfo.status).toBe(503)
    expect(userinfo.headers['retry-after']).toBeDefined()
    // The published keys are in memory: JWKS and discovery need no database.
    expect((await http.get('/jwks').set('Host', host)).status).toBe(200)
    expect((await http.get('/.well-known/openid-configuration').set('Host', host)).status).toBe(200)

    state.down = false
    expect((await clientCredentials()).status).toBe(200)
  })

  it('answers 503 when the provider cannot be built: its keys are in the database', async () => {
    const { host, machine, basic } = await signedInWithMachine()
    const { state, app } = outage()
    state.down = true
    const http = supertest(app)
    expectUnavailable(await clientCredentialsGrant(http, host, basic(machine)))
    expectUnavailable(await http.get('/jwks').set('Host', host))
    expectUnavailable(
      await http
        .get('/.well-known/openid-configuration')
        .set('Host', host)
        .set('Accept', 'text/html'),
      'html',
    )
  })
})

/**
 * A TCP relay to the test's PostgreSQL: `stop()` cuts every connection and refuses new ones, as
 * a server going down looks to the driver.
 */
async function relayTo(url: string) {
  const target = new URL(url)
  const sockets = new Set<Socket>()
  const server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname)
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const relayed = new URL(url)
  relayed.hostname = '127.0.0.1'
  relayed.port = String((server.address() as AddressInfo).port)
  return {
    url: relayed.toString(),
    stop: async () => {
      const closed = new Promise((resolve) => server.close(resolve))
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}

describe('the OpenID Provider while PostgreSQL is really gone', () => {
  it.runIf(onPostgres())(
    "answers 503 with Retry-After at the token endpoint on the driver's own errors",
    async () => {
      const { host, machine, basic } = await signedInWithMachine()
      const relay = await relayTo(gw.url!)
      const db = dbOn({ url: relay.url })
      try {
        // The tenant stays cached as in production (one second there; here a minute).
        const config = { ...gw.config, tenantCacheTtlMs: 60_000 }
        const http = supertest(separateApp(gw, { db, config }))
        const clientCredentials = () => clientCredentialsGrant(http, host, basic(machine))
        expect((await clientCredentials()).status).toBe(200)
        await relay.stop()
        for (let i = 0; i < 2; i++) expectUnavailable(await clientCredentials())
      } finally {
        await relay.stop()
        await db.destroy()
      }
    },
  )
})
