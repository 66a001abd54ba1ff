import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import type { Tenant } from '../../src/tenants/tenants.js'
import { authorize, relyingParty, tenantFetch, useOidcGateway } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// OWASP ASVS 5.0 V8 (authorization): a client-credentials token is an app's, not a person's;
// an area meant for people must be able to refuse it (RFC 6749 4.4: no resource owner).
const gw = await useOidcGateway()
const { member } = pageHelpers(gw)

const verify = (tenant: Tenant, token: string, query = '') =>
  tenantFetch(`${tenant.publicUrl}/auth/verify${query}`, {
    headers: { authorization: `Bearer ${token}` },
  })

async function machineToken(tenant: Tenant) {
  const { config } = await relyingParty(gw, tenant, { name: 'Sync', type: 'machine' })
  return (await client.clientCredentialsGrant(config)).access_token
}

describe('forward auth tells people from machines', () => {
  it('says X-Auth-Kind: machine for a client-credentials token, and refuses it with ?kind=person (ASVS V8)', async () => {
    const { tenant } = await member('ops@example.com')
    const token = await machineToken(tenant)
    const any = await verify(tenant, token)
    expect(any.status).toBe(200)
    expect(any.headers.get('x-auth-kind')).toBe('machine')
    const people = await verify(tenant, token, '?kind=person')
    expect(people.status).toBe(403)
    expect(people.headers.get('x-auth-subject')).toBeNull()
    expect((await verify(tenant, token, '?kind=machine')).status).toBe(200)
  })

  it("says X-Auth-Kind: person for a person's token and session, and lets them into ?kind=person", async () => {
    const { tenant } = await member('ada@example.com')
    const rp = await relyingParty(gw, tenant)
    const { tokens, browser } = await authorize(rp.config, {
      email: 'ada@example.com',
      password: PASSWORD,
    })
    const byToken = await verify(tenant, tokens!.access_token, '?kind=person')
    expect(byToken.status).toBe(200)
    expect(byToken.headers.get('x-auth-kind')).toBe('person')
    expect(byToken.headers.get('x-auth-email')).toBe('ada@example.com')
    expect((await verify(tenant, tokens!.access_token, '?kind=machine')).status).toBe(403)

    const bySession = await browser.request(`${tenant.publicUrl}/auth/verify?kind=person`)
    expect(bySession.status).toBe(200)
    expect(bySession.headers.get('x-auth-kind')).toBe('person')
  })

  it('answers 401 without a credential whatever the kind, and 400 for an unknown kind', async () => {
    const { tenant } = await member('bob@example.com')
    const none = await tenantFetch(`${tenant.publicUrl}/auth/verify?kind=person`)
    expect(none.status).toBe(401)
    const token = await machineToken(tenant)
    expect((await verify(tenant, token, '?kind=robot')).status).toBe(400)
  })
})
