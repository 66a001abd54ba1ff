import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { Server } from 'node:http'
import * as client from 'openid-client'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAudit } from '../../src/audit/audit.js'
import { dbOn } from '../../src/db/database.js'
import { managementApp } from '../../src/http/management.js'
import { httpServer } from '../../src/http/server.js'
import { tenantWithKey } from '../support/admin-api.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { authorize, httpBrowser, authorizationRequest, relyingParty } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'
import { freePort } from '../support/process.js'

// Issue 13, Operations: the metrics an operator reads after real sign-ins and grants, served by
// the management listener only. The gateway listens through httpServer, as `gateway serve` does,
// so the latency histogram sees these requests.
const port = await freePort()
const gw = useGateway({ PUBLIC_URL_TEMPLATE: `http://{host}:${port}` })
const { member, invite } = pageHelpers(gw)
let server: Server
beforeAll(async () => {
  server = httpServer(gw.app).listen(port, '127.0.0.1')
  await once(server, 'listening')
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

const scrape = async () => {
  const res = await supertest(managementApp(gw.db, gw.readiness, memoryLog().log)).get('/metrics')
  expect(res.status).toBe(200)
  expect(res.headers['content-type']).toContain('text/plain')
  return res.text
}
/** The value of the series `name{labels}`, whatever the order prom-client writes labels in. */
function valueOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const found = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    )
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3])
  }
  return undefined
}
const routesIn = (text: string) =>
  new Set(
    [...text.matchAll(/gateway_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/g)].map(
      (m) => m[1],
    ),
  )

describe('metrics after real sign-ins and grants', () => {
  it('count sign-ins by tenant, directory and outcome, and tokens by grant type', async () => {
    const { tenant } = await member('ada@example.com')
    const { config } = await relyingParty(gw, tenant)
    const { tokens } = await authorize(config, { email: 'ada@example.com', password: PASSWORD })
    expect(tokens?.access_token).toBeTruthy()
    await client.refreshTokenGrant(config, tokens!.refresh_token!)
    // A wrong password on the same login page.
    const browser = httpBrowser()
    const at = await browser.follow((await authorizationRequest(config)).url)
    await browser.signIn(at, 'ada@example.com', 'not the password at all')
    const machine = await relyingParty(gw, tenant, { name: 'Robot', type: 'machine' })
    await client.clientCredentialsGrant(machine.config)

    const text = await scrape()
    const signIn = { tenant: tenant.id, method: 'password', directory: 'database' }
    expect(valueOf(text, 'gateway_sign_ins_total', { ...signIn, outcome: 'succeeded' })).toBe(1)
    expect(
      valueOf(text, 'gateway_sign_ins_total', {
        ...signIn,
        outcome: 'failed',
        reason: 'wrong_password',
      }),
    ).toBe(1)
    for (const grant_type of ['authorization_code', 'refresh_token', 'client_credentials'])
      expect(valueOf(text, 'gateway_tokens_issued_total', { tenant: tenant.id, grant_type })).toBe(
        1,
      )
  })

  it('time requests by route pattern, never by raw path (bounded label values)', async () => {
    const { tenant } = await member('grace@example.com')
    const { config } = await relyingParty(gw, tenant)
    const { at } = await authorize(config, { email: 'grace@example.com', password: PASSWORD })
    expect(at.url.searchParams.get('code')).toBeTruthy()
    const { token } = await invite(tenant, 'linus@example.com')
    await httpBrowser().request(`${tenant.publicUrl}/invite/${token}`)
    await httpBrowser().request(`${tenant.publicUrl}/no/such/page/${token}`)
    // The admin API: a success, then an error thrown inside its router (Express has reset the
    // mount path by the time the error handler answers).
    const { tenant: managed, key } = await tenantWithKey(gw)
    const admin = (path: string) =>
      fetch(`http://127.0.0.1:${port}/admin/api/v1/tenants/${managed.slug}${path}`, {
        headers: { authorization: `Bearer ${key}` },
      })
    expect((await admin('')).status).toBe(200)
    const failed = await admin('/members/not-a-uuid')
    expect(failed.status).toBeGreaterThanOrEqual(400)

    const text = await scrape()
    const routes = routesIn(text)
    // /token and /auth share one Express route (routes.ts); each gets its own pattern.
    for (const route of ['/login', '/auth', '/token', '/interaction/:uid', '/invite/:token'])
      expect(routes).toContain(route)
    expect(routes).toContain('/admin/api/v1/tenants/:slug')
    expect(
      valueOf(text, 'gateway_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/admin/api/v1/tenants/:slug/members/:id',
        status: String(failed.status),
      }),
    ).toBeGreaterThanOrEqual(1)
    expect([...routes].filter((r) => r?.startsWith('/tenants/'))).toEqual([])
    expect(routes).toContain('unmatched')
    expect([...routes].filter((r) => r?.includes(token))).toEqual([])
    expect(
      [...routes].filter((r) => r !== 'unmatched' && !/^\/[a-z0-9/:._-]*$/i.test(r ?? '')),
    ).toEqual([])
    expect(
      valueOf(text, 'gateway_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/token',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1)
  })

  it('count lockouts from the audit log writer', async () => {
    const { tenant } = await member('hedy@example.com')
    await recordAudit(gw.db, {
      tenantId: tenant.id,
      actor: { kind: 'anonymous' },
      action: 'sign_in.locked_out',
      details: { email: 'hedy@example.com', failures: 100 },
    })
    expect(valueOf(await scrape(), 'gateway_account_lockouts_total', { tenant: tenant.id })).toBe(1)
  })

  it('label an enterprise sign-in with its protocol and directory id, as sso-finish.ts records it', async () => {
    const { tenant } = await member('radia@example.com')
    const directoryId = randomUUID()
    const sso = { tenantId: tenant.id, actor: { kind: 'anonymous' as const } }
    await recordAudit(gw.db, {
      ...sso,
      action: 'sign_in.sso_refused',
      details: { method: 'saml', directoryId, reason: 'sso_response_invalid' },
    })
    await recordAudit(gw.db, {
      ...sso,
      action: 'sign_in.sso_refused',
      details: { method: 'oidc', directoryId, reason: 'Anything The IdP Said' },
    })
    const text = await scrape()
    const labels = { tenant: tenant.id, directory: directoryId, outcome: 'failed' }
    expect(
      valueOf(text, 'gateway_sign_ins_total', {
        ...labels,
        method: 'saml',
        reason: 'sso_response_invalid',
      }),
    ).toBe(1)
    // A reason outside the closed vocabulary of lower_snake words is not a label value.
    expect(
      valueOf(text, 'gateway_sign_ins_total', { ...labels, method: 'oidc', reason: 'other' }),
    ).toBe(1)
  })

  it('read the outbox backlog and the pool at scrape time', async () => {
    const { tenant } = await member('ken@example.com')
    await invite(tenant, 'dennis@example.com') // no mail worker here: it stays pending
    const text = await scrape()
    expect(valueOf(text, 'gateway_db_up', {})).toBe(1)
    expect(valueOf(text, 'gateway_outbox_pending', {})).toBeGreaterThanOrEqual(1)
    expect(valueOf(text, 'gateway_outbox_oldest_pending_age_seconds', {})).toBeGreaterThanOrEqual(0)
    const states = [...text.matchAll(/^gateway_db_pool_connections\{state="([a-z_]+)"\}/gm)].map(
      (m) => m[1],
    )
    expect(states.sort()).toEqual(
      process.env.TEST_DATABASE_URL ? ['idle', 'total', 'waiting'] : ['in_flight'],
    )
  })
})

describe('metrics during a database outage', () => {
  it('still answer, with gateway_db_up 0 and no outbox figures', async () => {
    const port = await freePort() // nothing listens there
    const down = dbOn({ url: `postgres://postgres@127.0.0.1:${port}/none` })
    try {
      const res = await supertest(managementApp(down, { migrated: true }, memoryLog().log)).get(
        '/metrics',
      )
      expect(res.status).toBe(200)
      expect(valueOf(res.text, 'gateway_db_up', {})).toBe(0)
      expect(valueOf(res.text, 'gateway_outbox_pending', {})).toBeUndefined()
    } finally {
      await down.destroy()
    }
  })
})

describe('the management app', () => {
  const management = () => supertest(managementApp(gw.db, gw.readiness, memoryLog().log))

  it('answers the probes, and nothing but /metrics and the probes', async () => {
    expect((await management().get('/healthz')).body).toEqual({ status: 'ok' })
    expect((await management().get('/readyz')).status).toBe(200)
    const other = await management().get('/admin/api/v1/tenants')
    expect(other.status).toBe(404)
    expect(other.body.error).toBe('not_found')
  })

  // DESIGN.md: operators' endpoints are not tenants' endpoints.
  it('is the only place /metrics answers: the public app has no such route on any host', async () => {
    const { tenant } = await member('barbara@example.com')
    for (const host of [`${tenant.slug}.localhost`, 'localhost', 'unknown.invalid']) {
      const res = await gw.get(host, '/metrics').set('Accept', 'text/plain')
      expect(res.status).toBe(404)
      expect(res.text).not.toContain('gateway_')
    }
  })
})
