import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import type { Tenant } from '../../src/tenants/tenants.js'
import { onPostgres } from '../support/database.js'
import { authorize, endSession, relyingParty, tenantFetch } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'
import { useTwoGateways } from '../support/two-gateways.js'

// Issue 13 (DESIGN.md, "Hot paths answer from memory, kept fresh by the database"): each process
// answers /auth/verify from its own cache, and a revoked token, a logged-out session or a
// disabled member is refused by every process within a second (OWASP ASVS 5.0 V7.4.1: a session
// ended is ended everywhere). Both gateways answer, and cache, before the change; the change is
// made through the other one or straight in the database. Without the revocation view a cached
// answer would stand for minutes and these tests would time out. On PostgreSQL the two are real
// `gateway serve` processes; on PGlite two apps in this process with their caches on.
let target = 0
const { gw } = await useTwoGateways(
  () => target,
  (gw) => ({ config: { ...gw.config, tenantCacheTtlMs: undefined } }),
)
const { member } = pageHelpers(gw)

async function verifyOn(backend: number, tenant: Tenant, headers: Record<string, string>) {
  target = backend
  return (await tenantFetch(`${tenant.publicUrl}/auth/verify`, { headers })).status
}

/** Both gateways answer 200 (twice: the second from their caches). */
async function allowedOnBoth(tenant: Tenant, headers: Record<string, string>) {
  for (const backend of [0, 1, 0, 1]) expect(await verifyOn(backend, tenant, headers)).toBe(200)
}

/** Until both gateways answer 401; how long each took (reported, not a threshold: noisy machine). */
async function refusedOnBoth(tenant: Tenant, headers: Record<string, string>) {
  const started = Date.now()
  const took: number[] = []
  for (const backend of [0, 1]) {
    while ((await verifyOn(backend, tenant, headers)) !== 401) {
      if (Date.now() - started > 30_000) throw new Error(`gateway ${backend} still answers 200`)
      await new Promise((r) => setTimeout(r, 25))
    }
    took.push(Date.now() - started)
  }
  console.log(`refused by both gateways after ${took.join(' ms, ')} ms`)
}

async function signedIn(email: string) {
  const { tenant } = await member(email)
  const rp = await relyingParty(gw, tenant)
  const flow = await authorize(rp.config, { email, password: PASSWORD })
  const cookie = flow.browser.jar.get(new URL(tenant.publicUrl).host)?.get('gw_session')
  expect(cookie).toBeTruthy()
  return {
    tenant,
    rp,
    flow,
    bearer: { authorization: `Bearer ${flow.tokens!.access_token}` },
    session: { cookie: `gw_session=${cookie}` },
  }
}

describe(`forward auth refuses what was ended, on every ${onPostgres() ? 'process' : 'app'}`, () => {
  it('a token revoked at the revocation endpoint (RFC 7009)', async () => {
    const { tenant, rp, flow, bearer } = await signedIn('revoked@example.com')
    await allowedOnBoth(tenant, bearer)
    target = 1
    await client.tokenRevocation(rp.config, flow.tokens!.access_token)
    await refusedOnBoth(tenant, bearer)
  })

  it('a session logged out (RP-initiated logout)', async () => {
    const { tenant, rp, flow, session } = await signedIn('logout@example.com')
    await allowedOnBoth(tenant, session)
    target = 0
    expect((await endSession(flow.browser, rp.config, flow.tokens!.id_token!)).res.status).toBe(200)
    await refusedOnBoth(tenant, session)
  })

  it("a disabled member's token and session", async () => {
    const { tenant, flow, bearer, session } = await signedIn('disabled@example.com')
    await allowedOnBoth(tenant, bearer)
    await allowedOnBoth(tenant, session)
    // Straight in the database: whatever code disables a member, the view hears of it.
    await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('tenant_id', '=', tenant.id)
      .where('user_id', '=', String(flow.tokens!.claims()!.sub))
      .execute()
    await refusedOnBoth(tenant, bearer)
    await refusedOnBoth(tenant, session)
  })
})
