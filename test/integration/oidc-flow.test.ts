import { decodeProtectedHeader } from 'jose'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/identity/terms.js'
import {
  authorizationRequest,
  authorize,
  endSession,
  exchangeCode,
  httpBrowser,
  REDIRECT,
  relyingParty,
  useOidcTestSetUp,
  verifyAccessToken,
} from '../support/oidc.js'
import { PASSWORD } from '../support/pages.js'

// Issue 4: openid-client as a real relying party against a listening gateway; jose verifies.
// RS256, the product's default: this file is about signing and verifying.
const { gw, member, person, store, invite, lastLink } = await useOidcTestSetUp({
  signingAlg: 'RS256',
})

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

    const { payload, protectedHeader } = await verifyAccessToken(
      tenant.publicUrl,
      tokens!.access_token,
      ['RS256'],
    )
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
    expect(await out.res.text()).toContain('You are signed out.')
    const { url } = await authorizationRequest(config)
    expect((await browser.follow(url)).url.pathname).toBe('/login')
  })
})

describe('detours on the way to an app', () => {
  /** An app's sign-in that reached our login page; the browser that holds it. */
  async function signInStarted(patch?: Record<string, unknown>) {
    const s = await store(patch)
    if (patch?.['termsRequired'])
      await gw.db
        .transaction()
        .execute((tx) => publishTerms(tx, s.tenant.id, { title: 'Terms', text: 'Be kind.' }))
    const { config } = await relyingParty(gw, s.tenant)
    const browser = httpBrowser()
    const request = await authorizationRequest(config, { scope: 'openid email' })
    const at = await browser.follow(request.url)
    expect(at.url.pathname).toBe('/login')
    return { ...s, config, browser, request }
  }

  it('brings an invited person back to the app after activating and accepting the Terms', async () => {
    const { tenant, config, browser, request } = await signInStarted({ termsRequired: true })
    // The person has no password yet: they open the invitation in the same browser.
    const { token } = await invite(tenant, 'new@example.com')
    const invitation = new URL(`/invite/${token}`, tenant.publicUrl)
    const activated = await browser.submit(invitation, {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(activated.url.pathname).toBe('/terms')
    const terms = await browser.request(activated.url)
    const version = /name="version" value="(\d+)"/.exec(await terms.text())?.[1]
    const back = await browser.submit(activated.url, { version: version!, accept: 'yes' })

    expect(back.url.href.startsWith(REDIRECT)).toBe(true)
    const tokens = await exchangeCode(config, back.url, request)
    expect(tokens.claims()?.email).toBe('new@example.com')
  })

  it('brings a person back to the app after resetting a forgotten password', async () => {
    const { tenant, config, browser, request } = await signInStarted()
    const { token } = await invite(tenant, 'ada@example.com')
    await httpBrowser().submit(new URL(`/invite/${token}`, tenant.publicUrl), {
      password: 'first harbour password 1',
    })
    await browser.submit(new URL('/forgot-password', tenant.publicUrl), {
      email: 'ada@example.com',
    })
    const reset = await lastLink(tenant, 'ada@example.com', '/reset-password/')
    const done = await browser.submit(new URL(`/reset-password/${reset}`, tenant.publicUrl), {
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(done.url.pathname).toBe('/login')
    const back = await browser.signIn(done, 'ada@example.com', PASSWORD)

    expect(back.url.href.startsWith(REDIRECT)).toBe(true)
    expect((await exchangeCode(config, back.url, request)).claims()?.email).toBe('ada@example.com')
    // Remembered once: the next plain sign-in goes home.
    await browser.submit(new URL('/', tenant.publicUrl), {}, '/logout')
    const home = await browser.signIn(
      await browser.follow(new URL('/login', tenant.publicUrl)),
      'ada@example.com',
      PASSWORD,
    )
    expect(home.url.pathname).toBe('/')
  })

  it('explains a sign-in that is no longer open instead of failing', async () => {
    const { tenant } = await signInStarted()
    const res = await httpBrowser().request(
      new URL('/interaction/not-a-live-one', tenant.publicUrl),
    )
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text).toContain('Go back to the app and sign in again')
    expect(text).not.toMatch(/at .*\.js:\d+/)
  })
})
