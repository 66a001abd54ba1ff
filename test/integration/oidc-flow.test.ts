import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  authorizationRequest,
  authorize,
  endSession,
  relyingParty,
  tenantFetch,
  useOidcGateway,
} from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 4: openid-client as a real relying party against a listening gateway; jose verifies.
const gw = await useOidcGateway()
const { member } = pageHelpers(gw)
const person = { email: 'ada@example.com', password: PASSWORD }

describe('the gateway as OpenID Provider', () => {
  it('runs discovery, code + PKCE through the login page, userinfo, refresh and logout', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    expect(config.serverMetadata().issuer).toBe(tenant.publicUrl)

    const { tokens, browser } = await authorize(config, person)
    expect(tokens?.access_token).toBeTruthy()
    const claims = tokens!.claims()!
    expect(claims.iss).toBe(tenant.publicUrl)
    expect(claims.email).toBe(person.email)

    const jwks = createRemoteJWKSet(new URL(`${tenant.publicUrl}/jwks`), {
      [customFetch]: tenantFetch,
    })
    const { payload, protectedHeader } = await jwtVerify(tokens!.access_token, jwks, {
      issuer: tenant.publicUrl,
      audience: `${tenant.publicUrl}/api`,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    })
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload).toMatchObject({
      sub: claims.sub,
      tenant: tenant.slug,
      email: person.email,
      roles: ['user'],
      groups: ['Everybody'],
      products: [],
      kind: 'member',
    })

    const info = await client.fetchUserInfo(config, tokens!.access_token, claims.sub)
    expect(info).toMatchObject({ sub: claims.sub, email: person.email, tenant: tenant.slug })

    const refreshed = await client.refreshTokenGrant(config, tokens!.refresh_token!)
    expect(refreshed.access_token).not.toBe(tokens!.access_token)
    expect(refreshed.refresh_token).not.toBe(tokens!.refresh_token)

    expect(decodeProtectedHeader(tokens!.id_token!).kid).toBeTruthy()
    const out = await endSession(browser, config, tokens!.id_token!)
    expect(out.res.status).toBe(200)
    const { url } = await authorizationRequest(config)
    expect((await browser.follow(url)).url.pathname).toBe('/login')
  })
})
