import express from 'express'
import { decodeProtectedHeader } from 'jose'
import { errors, interactionPolicy } from 'oidc-provider'
import supertest from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tenant } from '../../src/tenants/tenants.js'
import { createTenant } from '../../src/tenants/tenants.js'
import { createApp } from '../../src/tokens/apps.js'
import { gatewaySessionPolicy } from '../../src/tokens/provider/gateway-session.js'
import { providerRegistry, type TenantProvider } from '../../src/tokens/provider/registry.js'
import { useTestDb } from '../support/database.js'
import { randomSlug, testConfig } from '../support/harness.js'

// The non-public oidc-provider behaviours src/tokens/provider/ relies on. Each fails with a
// message naming what to look at after an upgrade of oidc-provider (or Koa, which it extends).
const upgrade = (what: string, where: string) =>
  `oidc-provider upgrade: ${what} changed; look at ${where}`

const test = useTestDb()
const config = testConfig()
let tenant: Tenant
let tokens: TenantProvider
let machine: { clientId: string; clientSecret: string }
const seen: { route: string | undefined; marker: unknown }[] = []
let web: express.Express

beforeAll(async () => {
  const slug = randomSlug()
  tenant = await test.db
    .transaction()
    .execute((tx) =>
      createTenant(tx, { slug, name: slug, hosts: [], settings: config.tenantDefaults }, config),
    )
  const registry = providerRegistry({
    db: test.db,
    secretKey: config.secretKey,
    endGatewaySession: async () => {},
  })
  tokens = await registry.forTenant(tenant)
  const created = await createApp(test.db, tenant.id, { name: 'Sync', type: 'machine' })
  machine = { clientId: created.clientId, clientSecret: created.clientSecret! }
  // Sees what the gateway's own provider middleware sees (gateway-session.ts).
  tokens.provider.use(async (ctx, next) => {
    try {
      await next()
    } finally {
      seen.push({ route: ctx.oidc?.route, marker: (ctx.res as { locals?: object }).locals })
    }
  })
  const callback = tokens.provider.callback()
  web = express()
  web.use((_req, res, next) => ((res.locals['marker'] = 'express'), next()))
  web.get('/details', (req, res) =>
    tokens.provider.interactionDetails(req, res).then(
      () => res.json({ found: true }),
      (err: unknown) => res.json({ sessionNotFound: err instanceof errors.SessionNotFound }),
    ),
  )
  web.use((req, res) => void callback(req, res))
})

const clientCredentials = (secret = machine.clientSecret) =>
  supertest(web)
    .post('/token')
    .auth(machine.clientId, secret)
    .type('form')
    .send({ grant_type: 'client_credentials' })

const introspect = (token: string) =>
  supertest(web)
    .post('/token/introspection')
    .auth(machine.clientId, machine.clientSecret)
    .type('form')
    .send({ token })

describe('oidc-provider behaviours we rely on', () => {
  it('records a JWT access token under its jti from its model IN_PAYLOAD; the provider finds it there', async () => {
    const where = 'src/tokens/provider/access-tokens.ts (recordAccessToken) and tokens.routes.ts'
    for (const model of [tokens.provider.AccessToken, tokens.provider.ClientCredentials])
      expect(model.IN_PAYLOAD, upgrade(`${model.name}.IN_PAYLOAD`, where)).toEqual(
        expect.arrayContaining(['jti', 'clientId', 'scope']),
      )
    expect(tokens.provider.AccessToken.IN_PAYLOAD, upgrade('IN_PAYLOAD', where)).toContain(
      'accountId',
    )
    const res = await clientCredentials()
    expect(res.status, upgrade('client_credentials with a JWT resource', where)).toBe(200)
    const jwt = res.body.access_token as string
    expect(jwt.split('.'), upgrade('accessTokenFormat jwt', where)).toHaveLength(3)
    const { jti } = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString())
    // The provider alone refuses our JWTs at introspection: tokens.routes.ts swaps in the jti.
    const raw = await introspect(jwt)
    expect(raw.body.error, upgrade('introspection of a JWT', where)).toBe('unsupported_token_type')
    const byRecord = await introspect(jti)
    expect(byRecord.body, upgrade('introspection by record id (jti)', where)).toMatchObject({
      active: true,
      client_id: machine.clientId,
    })
  })

  it('signs with keys[0], the active key', async () => {
    const jwt = (await clientCredentials()).body.access_token as string
    expect(tokens.keys[0]?.state).toBe('active')
    expect(
      decodeProtectedHeader(jwt).kid,
      upgrade('which key of the JWKS signs', 'src/tokens/provider/configuration.ts (jwks)'),
    ).toBe(tokens.keys[0]?.kid)
  })

  it('compares client secrets through Client.prototype.compareClientSecret (we store hashes)', async () => {
    const where = 'src/tokens/provider/client-secret.ts'
    expect(
      typeof tokens.provider.Client.prototype.compareClientSecret,
      upgrade('Client', where),
    ).toBe('function')
    expect((await clientCredentials()).status, upgrade('compareClientSecret', where)).toBe(200)
    const wrong = await clientCredentials(`${machine.clientSecret}x`)
    expect(wrong.body.error, upgrade('client authentication', where)).toBe('invalid_client')
  })

  it('rejects interactionDetails without an open interaction with errors.SessionNotFound', async () => {
    const res = await supertest(web).get('/details')
    expect(
      res.body,
      upgrade('interactionDetails errors', 'src/tokens/provider/registry.ts (openInteraction)'),
    ).toEqual({ sessionNotFound: true })
  })

  it("names POST /session/end/confirm 'end_session_confirm', and ctx.res is the Node response we passed", async () => {
    seen.length = 0
    await supertest(web).post('/session/end/confirm').type('form').send({ xsrf: 'x' })
    const where = 'src/tokens/provider/gateway-session.ts (endGatewaySessionOnLogout)'
    expect(
      seen.map((s) => s.route),
      upgrade('route names', where),
    ).toContain('end_session_confirm')
    expect(seen[0]?.marker, upgrade('ctx.res (Express locals)', where)).toMatchObject({
      marker: 'express',
    })
  })

  it('keeps the interaction policy Check API and the login reasons the interaction step reads', () => {
    const where = 'src/tokens/provider/gateway-session.ts and src/tokens/interaction.ts'
    const login = gatewaySessionPolicy(interactionPolicy).get('login')
    const reasons = login?.checks.map((check) => check.reason) ?? []
    expect(reasons, upgrade('interactionPolicy login checks', where)).toEqual(
      expect.arrayContaining(['login_prompt', 'max_age', 'gateway_session']),
    )
    const check = login!.checks.get('gateway_session')!
    expect(check, upgrade('interactionPolicy.Check', where)).toBeInstanceOf(interactionPolicy.Check)
    expect(typeof check.check, upgrade('Check#check', where)).toBe('function')
  })
})
