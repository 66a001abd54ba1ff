import { createHash, createHmac } from 'node:crypto'
import { base64url, createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { getTenant, updateSettings } from '../../src/tenants/tenants.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import {
  authorizationRequest,
  authorize,
  endSession,
  httpBrowser,
  REDIRECT,
  relyingParty,
  tenantFetch,
  useOidcTestSetUp,
} from '../support/oidc.js'
import { PASSWORD } from '../support/pages.js'

// Issue 4, "Bad input and attacks": each with a test.
const { gw, member, invite, activate, browser: pages, person } = await useOidcTestSetUp()

async function signedIn(email = person.email) {
  const { tenant } = await member(email)
  const rp = await relyingParty(gw, tenant)
  const flow = await authorize(rp.config, { email, password: PASSWORD })
  return { tenant, ...rp, ...flow, tokens: flow.tokens! }
}

const forwardAuth = (tenant: Tenant, token: string) =>
  tenantFetch(`${tenant.publicUrl}/auth/verify`, { headers: { authorization: `Bearer ${token}` } })

const introspect = async (config: client.Configuration, token: string) =>
  (await client.tokenIntrospection(config, token)).active

/** The same claims, re-signed the ways attackers try: no signature, and HMAC keyed with our public key. */
async function forgeries(tenant: Tenant, token: string) {
  const payload = base64url.encode(JSON.stringify(decodeJwt(token)))
  const header = (alg: string) => base64url.encode(JSON.stringify({ alg, typ: 'at+jwt' }))
  const none = `${header('none')}.${payload}.`
  const jwks = (await (await tenantFetch(`${tenant.publicUrl}/jwks`)).json()) as {
    keys: { n?: string; x?: string; y?: string }[]
  }
  // The public key's material as the HMAC secret: an RSA modulus, or an EC point (this file's
  // tenants sign with ES256; verifier.test.ts forges with an RSA key's).
  const key = jwks.keys[0]!
  const secret = key.n ?? `${key.x}${key.y}`
  const signingInput = `${header('HS256')}.${payload}`
  const hs256 = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`
  return { none, hs256 }
}

/**
 * Four racing grants of one code or refresh token: exactly one wins, the others are replays
 * (invalid_grant), and the replay revokes what the winner got.
 */
async function expectOneRevokedWinner(
  tenant: Tenant,
  config: client.Configuration,
  grant: () => Promise<client.TokenEndpointResponse>,
) {
  const raced = await Promise.allSettled([0, 1, 2, 3].map(grant))
  const won = raced.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  expect(won).toHaveLength(1)
  for (const lost of raced.filter((r) => r.status === 'rejected'))
    expect(lost.reason).toMatchObject({ error: 'invalid_grant' })
  expect((await forwardAuth(tenant, won[0]!.access_token)).status).toBe(401)
  await expect(client.refreshTokenGrant(config, won[0]!.refresh_token!)).rejects.toMatchObject({
    error: 'invalid_grant',
  })
}

describe('tokens are worthless elsewhere', () => {
  it('refuses a token of tenant A at tenant B: introspection, JWKS and forward auth', async () => {
    const a = await signedIn('a@example.com')
    const { tenant: b } = await member('b@example.com')
    const rpB = await relyingParty(gw, b)
    const token = a.tokens.access_token
    expect(await introspect(a.config, token)).toBe(true)
    expect(await introspect(rpB.config, token)).toBe(false)
    const jwksB = createRemoteJWKSet(new URL(`${b.publicUrl}/jwks`), { [customFetch]: tenantFetch })
    await expect(jwtVerify(token, jwksB)).rejects.toThrow()
    expect((await forwardAuth(a.tenant, token)).status).toBe(200)
    expect((await forwardAuth(b, token)).status).toBe(401)
  })

  it('refuses alg "none" and HS256-with-our-public-key at introspection, userinfo and forward auth', async () => {
    const { tenant, config, tokens } = await signedIn()
    for (const forged of Object.values(await forgeries(tenant, tokens.access_token))) {
      expect(await introspect(config, forged)).toBe(false)
      expect((await forwardAuth(tenant, forged)).status).toBe(401)
      const me = await tenantFetch(`${tenant.publicUrl}/me`, {
        headers: { authorization: `Bearer ${forged}` },
      })
      expect(me.status).toBe(401)
    }
  })

  it('refuses an expired access token', async () => {
    const { tenant: created } = await member(person.email)
    await updateSettings(
      gw.db,
      created,
      { tokens: { ...created.settings.tokens, accessTokenTtl: '1s' } },
      gw.config.passwordPolicies,
    )
    const tenant = await getTenant(gw.db, created.slug, gw.config)
    const rp = await relyingParty(gw, tenant)
    const { tokens } = await authorize(rp.config, person)
    const token = tokens!.access_token
    expect(decodeJwt(token).exp! - decodeJwt(token).iat!).toBe(1)
    // Past the token's expiry second, and no longer: expiry is checked in whole seconds.
    await new Promise((r) => setTimeout(r, decodeJwt(token).exp! * 1000 + 50 - Date.now()))
    expect((await forwardAuth(tenant, token)).status).toBe(401)
    expect(await introspect(rp.config, token)).toBe(false)
  })
})

describe('authorization requests', () => {
  it('never redirects to a URI that is not registered exactly', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    for (const redirect_uri of [
      `${REDIRECT}/extra`,
      'https://evil.example/callback',
      `${REDIRECT}?x=1`,
    ]) {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      })
      const res = await httpBrowser().request(url)
      expect(res.status).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(await res.text()).toContain('redirect_uri')
    }
  })

  it('refuses an unknown client with a page, not a redirect', async () => {
    const { tenant } = await member(person.email)
    const url = `${tenant.publicUrl}/auth?client_id=app_nope&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`
    const res = await httpBrowser().request(url)
    expect(res.status).toBe(400)
    expect(res.headers.get('location')).toBeNull()
  })

  it('requires PKCE, and the right verifier', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const withoutPkce = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
    })
    const refused = await httpBrowser().follow(withoutPkce)
    expect(refused.url.searchParams.get('error')).toBe('invalid_request')
    expect(refused.url.searchParams.get('code')).toBeNull()

    const b = httpBrowser()
    await authorize(config, person, { browser: b }) // signs in once
    const { url, state } = await authorizationRequest(config)
    const { url: back } = await b.follow(url)
    await expect(
      client.authorizationCodeGrant(config, back, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('lets a code be used once; a second use revokes what the first got', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const b = httpBrowser()
    await authorize(config, person, { browser: b })
    const { url, verifier, state } = await authorizationRequest(config, {
      scope: 'openid offline_access',
      prompt: 'consent',
    })
    const { url: back } = await b.follow(url)
    const exchange = { pkceCodeVerifier: verifier, expectedState: state }
    const first = await client.authorizationCodeGrant(config, back, exchange)
    await expect(client.authorizationCodeGrant(config, back, exchange)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect(await introspect(config, first.access_token)).toBe(false)
    await expect(client.refreshTokenGrant(config, first.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('lets a code be used once when exchanges race; the race revokes what the winner got', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const b = httpBrowser()
    await authorize(config, person, { browser: b })
    for (let round = 0; round < 3; round++) {
      const { url, verifier, state } = await authorizationRequest(config, {
        scope: 'openid offline_access',
        prompt: 'consent',
      })
      const { url: back } = await b.follow(url)
      const exchange = { pkceCodeVerifier: verifier, expectedState: state }
      // A code used twice is a replay: what it gave, even to the first, is revoked.
      await expectOneRevokedWinner(tenant, config, () =>
        client.authorizationCodeGrant(config, back, exchange),
      )
    }
  })

  it('lets a refresh token be used once when refreshes race, and then ends the family', async () => {
    const { config, tokens, tenant } = await signedIn()
    // The losers were replays: what the winner got is revoked with the family.
    await expectOneRevokedWinner(tenant, config, () =>
      client.refreshTokenGrant(config, tokens.refresh_token!),
    )
  })
})

describe('refresh tokens and memberships', () => {
  it('rotates refresh tokens; replaying a rotated one revokes the family', async () => {
    const { config, tokens } = await signedIn()
    const second = await client.refreshTokenGrant(config, tokens.refresh_token!)
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    await expect(client.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    expect(await introspect(config, second.access_token)).toBe(false)
  })

  it('ends the tokens of a membership disabled after they were issued', async () => {
    const { tenant, config, tokens } = await signedIn()
    expect(await introspect(config, tokens.access_token)).toBe(true)
    await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(await introspect(config, tokens.access_token)).toBe(false)
    expect((await forwardAuth(tenant, tokens.access_token)).status).toBe(401)
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('answers access_denied to the app when the account was disabled, signed in or not', async () => {
    const { tenant, config, browser } = await signedIn()
    await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('tenant_id', '=', tenant.id)
      .execute()
    // The gateway session of a disabled membership is gone: the login form finds out, and the
    // app hears access_denied, whether the person was signed in or starts fresh.
    for (const b of [browser, httpBrowser()]) {
      const denied = await authorize(config, person, { browser: b })
      expect(denied.tokens).toBeUndefined()
      expect(denied.at.url.href.startsWith(REDIRECT)).toBe(true)
      expect(denied.at.url.searchParams.get('error')).toBe('access_denied')
      expect(denied.at.url.searchParams.get('error_description')).toContain('disabled')
    }
    // A wrong password still gets the login page, which says nothing about the account.
    const guess = await authorize(config, { ...person, password: 'wrong password 12' })
    expect(guess.at.url.pathname).toBe('/login')
    expect(guess.at.res.status).toBe(401)
  })

  it("lets a person cancel an app's sign-in; a cancel link works only for its own browser", async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const b = httpBrowser()
    const at = await b.follow((await authorizationRequest(config)).url)
    const cancel = /href="(\/interaction\/[\w-]+\/abort)"/.exec(await at.res.text())?.[1]
    expect(cancel).toBeTruthy()
    // Someone else's browser (no interaction cookie) cannot end it.
    const stranger = await httpBrowser().request(new URL(cancel!, tenant.publicUrl))
    expect(stranger.status).toBe(400)
    const back = await b.follow(new URL(cancel!, tenant.publicUrl))
    expect(back.url.href.startsWith(REDIRECT)).toBe(true)
    expect(back.url.searchParams.get('error')).toBe('access_denied')
  })

  it('denies a guest an app whose product it was not granted, and admits it once granted', async () => {
    const { tenant } = await member('owner@example.com')
    const { token } = await invite(tenant, 'guest@example.com', {})
    await gw.db
      .updateTable('memberships')
      .set({ kind: 'guest' })
      .where('tenant_id', '=', tenant.id)
      .where(
        'user_id',
        'in',
        gw.db.selectFrom('users').select('id').where('email', '=', 'guest@example.com'),
      )
      .execute()
    expect((await activate(pages(`${tenant.slug}.localhost`), token)).status).toBe(303)
    const guest = { email: 'guest@example.com', password: PASSWORD }
    const rp = await relyingParty(gw, tenant, {
      name: 'Catalogue',
      type: 'web',
      redirectUris: [REDIRECT],
      product: 'catalogue',
    })
    const denied = await authorize(rp.config, guest)
    expect(denied.tokens).toBeUndefined()
    expect(denied.at.url.searchParams.get('error')).toBe('access_denied')
    await gw.db
      .updateTable('memberships')
      .set({ products: JSON.stringify(['catalogue']) })
      .where('tenant_id', '=', tenant.id)
      .where('kind', '=', 'guest')
      .execute()
    const admitted = await authorize(rp.config, guest)
    expect(admitted.tokens?.access_token).toBeTruthy()
  })
})

describe('single sign-on and machines', () => {
  it('signs out of the gateway only on a confirmation the provider accepted (CSRF)', async () => {
    const { tenant, browser } = await signedIn()
    const confirm = new URL('/session/end/confirm', tenant.publicUrl)
    const home = async () =>
      (await (await browser.request(tenant.publicUrl)).text()).includes(person.email)
    expect(await home()).toBe(true)
    // A forged form (another site of the same domain): no xsrf value, or a wrong one.
    const forms: Record<string, string>[] = [{ logout: 'yes' }, { logout: 'yes', xsrf: 'forged' }]
    for (const form of forms) {
      const forged = await browser.request(confirm, { form })
      expect(forged.status).toBe(400)
      expect(await home()).toBe(true)
    }
  })

  it('lets an app introspect its own tokens, and an API back end access tokens only', async () => {
    const { tenant, tokens } = await signedIn()
    const api = await relyingParty(gw, tenant, { name: 'Orders API', type: 'machine' })
    const spa = await relyingParty(gw, tenant, {
      name: 'SPA',
      type: 'spa',
      redirectUris: [REDIRECT],
    })
    expect(await introspect(api.config, tokens.access_token)).toBe(true)
    expect(await introspect(api.config, tokens.refresh_token!)).toBe(false)
    expect(await introspect(spa.config, tokens.access_token)).toBe(false)
  })

  it('advertises only what it enforces: no DPoP, no pushed authorization requests', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const metadata = config.serverMetadata()
    expect(metadata.dpop_signing_alg_values_supported).toBeUndefined()
    expect(metadata.pushed_authorization_request_endpoint).toBeUndefined()
    expect(metadata.code_challenge_methods_supported).toEqual(['S256'])
  })

  it('signs a person in to a second app without asking again, and not after logout', async () => {
    const { tenant, browser, tokens, config } = await signedIn()
    const second = await relyingParty(gw, tenant, {
      name: 'Two',
      type: 'spa',
      redirectUris: [REDIRECT],
    })
    const again = await authorize(second.config, person, { browser })
    expect(again.at.url.href.startsWith(REDIRECT)).toBe(true)
    expect(again.tokens?.access_token).toBeTruthy()

    await endSession(browser, config, tokens.id_token!)
    const third = await browser.follow(
      client.buildAuthorizationUrl(second.config, {
        redirect_uri: REDIRECT,
        scope: 'openid',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      }),
    )
    expect(third.url.pathname).toBe('/login')
  })

  it('issues client-credentials tokens to machine apps, with the tenant claim', async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant, { name: 'Sync', type: 'machine' })
    const { access_token } = await client.clientCredentialsGrant(config)
    const claims = decodeJwt(access_token)
    expect(claims).toMatchObject({ tenant: tenant.slug, aud: `${tenant.publicUrl}/api` })
    expect((await forwardAuth(tenant, access_token)).status).toBe(200)
    expect(createHash('sha256').update(access_token).digest().length).toBe(32)
  })
})
