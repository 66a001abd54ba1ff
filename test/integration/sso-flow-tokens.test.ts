import { inflateRawSync } from 'node:zlib'
import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import type { EnterpriseDirectory } from '../../src/sso/connection.js'
import { getTenant, type Tenant } from '../../src/tenants/tenants.js'
import { addDirectory, companySignIn } from '../support/enterprise.js'
import {
  authorizationRequest,
  authorize,
  exchangeCode,
  httpBrowser,
  REDIRECT,
  relyingParty,
  useOidcTestSetUp,
  verifyAccessToken,
} from '../support/oidc.js'

// Issue 10, "Tokens": access and ID tokens say how the person signed in (amr, RFC 8176) and
// where their account lives (directory_id, directory_kind), so an app can ask for company
// sign-in. openid-client is the app, jose verifies. The company sign-in is made by
// signInWithDirectory, as the ACS or the OIDC callback would; the app's flow is the real one.
const { gw, member, store, person } = await useOidcTestSetUp()

const SCOPE = 'openid profile email offline_access'
const COMPANY_AMR = ['mfa', 'otp']

/** A browser holding the gateway session of a company sign-in on `host`. */
async function companyBrowser(
  tenant: Tenant,
  directory: EnterpriseDirectory,
  host = new URL(tenant.publicUrl).host,
) {
  const signedIn = await companySignIn(gw, { tenant, directory, profile: { amr: COMPANY_AMR } })
  if (!signedIn.ok) throw new Error(signedIn.reason)
  const browser = httpBrowser()
  browser.jar.set(host, new Map([['gw_session', signedIn.session.token]]))
  return { browser, userId: signedIn.userId }
}

const accessTokenClaims = async (tenant: Tenant, token: string) =>
  (await verifyAccessToken(tenant.publicUrl, token)).payload

describe('tokens say how the person signed in', () => {
  it('a company sign-in: amr from the IdP and the directory in the ID token, access token and userinfo, after a refresh too', async () => {
    const { tenant: created } = await store()
    const { tenant, directory } = await addDirectory(gw, created, { kind: 'saml' })
    const { config } = await relyingParty(gw, tenant)
    const { browser, userId } = await companyBrowser(tenant, directory)

    const request = await authorizationRequest(config, { scope: SCOPE, prompt: 'consent' })
    const back = await browser.follow(request.url)
    expect(back.url.href.startsWith(REDIRECT)).toBe(true)
    const tokens = await exchangeCode(config, back.url, request)
    const company = { directory_id: directory.id, directory_kind: 'saml' }

    expect(tokens.claims()).toMatchObject({ sub: userId, amr: COMPANY_AMR, ...company })
    expect(await accessTokenClaims(tenant, tokens.access_token)).toMatchObject({
      sub: userId,
      amr: COMPANY_AMR,
      ...company,
    })
    const info = await client.fetchUserInfo(config, tokens.access_token, userId)
    expect(info).toMatchObject({ sub: userId, amr: COMPANY_AMR, ...company })

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(await accessTokenClaims(tenant, refreshed.access_token)).toMatchObject({
      amr: COMPANY_AMR,
      ...company,
    })
    expect(refreshed.claims()).toMatchObject({ amr: COMPANY_AMR, ...company })
  })

  it("a password sign-in: amr ['pwd'] and the custom user database, so an app can tell the two apart", async () => {
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const { tokens } = await authorize(config, person)
    const database = { directory_id: tenant.databaseDirectoryId, directory_kind: 'database' }
    expect(tokens!.claims()).toMatchObject({ amr: ['pwd'], ...database })
    expect(await accessTokenClaims(tenant, tokens!.access_token)).toMatchObject({
      amr: ['pwd'],
      ...database,
    })
    const info = await client.fetchUserInfo(config, tokens!.access_token, tokens!.claims()!.sub)
    expect(info).toMatchObject({ amr: ['pwd'], ...database })
  })

  it('releases the directory with the openid scope alone', async () => {
    const { tenant: created } = await store()
    const { tenant, directory } = await addDirectory(gw, created, { kind: 'oidc' })
    const { config } = await relyingParty(gw, tenant)
    const { browser } = await companyBrowser(tenant, directory)
    const request = await authorizationRequest(config, { scope: 'openid' })
    const back = await browser.follow(request.url)
    const claims = (await exchangeCode(config, back.url, request)).claims()!
    expect(claims).toMatchObject({ directory_id: directory.id, directory_kind: 'oidc' })
    expect(claims.email).toBeUndefined()
  })
})

describe("the provider's login prompt with company sign-in", () => {
  it('prompt=login ends a company session and sends the person back through the login routing (OIDC Core 3.1.2.1)', async () => {
    const { tenant: created } = await store()
    const { tenant, directory } = await addDirectory(gw, created, {
      emailDomains: ['corp.example'],
    })
    const { config } = await relyingParty(gw, tenant)
    const { browser } = await companyBrowser(tenant, directory)
    // Signed in an hour before the app asks: the interaction's iat is after the session's start.
    await ageSessions(tenant)
    const request = await authorizationRequest(config, { prompt: 'login' })
    const at = await browser.follow(request.url)
    expect(at.url.pathname).toBe('/login')
    expect(at.url.searchParams.get('return_to')).toMatch(/^\/interaction\//)
    expect(await at.res.text()).toContain('name="email"')
  })

  it("on the store's dedicated URL, goes straight to the directory, and the app gets the company sign-in's tokens", async () => {
    const { tenant, directory, storeHost } = await dedicatedStore()
    const { config } = await relyingParty(gw, tenant)
    expect(config.serverMetadata().issuer).toBe(`http://${storeHost}`)
    const browser = httpBrowser()
    const request = await authorizationRequest(config, { scope: 'openid' })
    const start = await followTo(browser, request.url, `/sso/${directory.id}/start`)
    const returnTo = start.searchParams.get('return_to')!
    expect(returnTo).toMatch(/^\/interaction\//)

    // The IdP vouched (the protocol code's part): the session, then back to the interaction.
    const signedIn = await companySignIn(gw, { tenant, directory, profile: { amr: COMPANY_AMR } })
    if (!signedIn.ok) throw new Error(signedIn.reason)
    browser.jar.get(storeHost)!.set('gw_session', signedIn.session.token)
    const back = await browser.follow(new URL(returnTo, start))
    expect(back.url.href.startsWith(REDIRECT)).toBe(true)
    const claims = (await exchangeCode(config, back.url, request)).claims()
    expect(claims).toMatchObject({ amr: COMPANY_AMR, directory_kind: 'saml' })

    // prompt=login: the session is too old for the app, so the person signs in at the IdP again.
    await ageSessions(tenant)
    const fresh = await authorizationRequest(config, { prompt: 'login' })
    const again = await followTo(browser, fresh.url, `/sso/${directory.id}/start`)
    expect(again.searchParams.get('return_to')).toMatch(/^\/interaction\/[^?]+\?fresh=1$/)
    // ...and the IdP is asked to authenticate afresh (SAML core 2.0 §3.4.1), not from its session.
    expect(await authnRequestAt(browser, again)).toMatch(/ForceAuthn="true"/)
    expect(await authnRequestAt(browser, start)).not.toMatch(/ForceAuthn/)
  })
})

describe('a dedicated host beside the primary one', () => {
  // Seed 001: the platform's own host serves its partners' passwords; a partner company's
  // employees use the store on its dedicated host. Each host is an OpenID Provider of its own.
  it("is its own issuer: the app there signs in at the directory and gets that host's tokens", async () => {
    const { tenant, directory, storeHost } = await dedicatedStore({ primary: false })
    expect(new URL(tenant.publicUrl).host).not.toBe(storeHost)
    const atStore = { ...tenant, publicUrl: `http://${storeHost}` }
    const { config } = await relyingParty(gw, atStore)
    expect(config.serverMetadata().issuer).toBe(`http://${storeHost}`)
    expect(config.serverMetadata().authorization_endpoint).toBe(`http://${storeHost}/auth`)

    const browser = httpBrowser()
    const request = await authorizationRequest(config, { scope: 'openid' })
    const start = await followTo(browser, request.url, `/sso/${directory.id}/start`)
    expect(start.host).toBe(storeHost)
    const signedIn = await companySignIn(gw, { tenant, directory, profile: { amr: COMPANY_AMR } })
    if (!signedIn.ok) throw new Error(signedIn.reason)
    browser.jar.get(storeHost)!.set('gw_session', signedIn.session.token)
    const back = await browser.follow(new URL(start.searchParams.get('return_to')!, start))
    expect(back.url.href.startsWith(REDIRECT)).toBe(true)
    const tokens = await exchangeCode(config, back.url, request)
    expect(tokens.claims()).toMatchObject({ iss: `http://${storeHost}`, amr: COMPANY_AMR })
    const access = await verifyAccessToken(`http://${storeHost}`, tokens.access_token)
    expect(access.payload).toMatchObject({ iss: `http://${storeHost}`, directory_kind: 'saml' })

    // The primary host stays the provider of the store's other apps, with the password form.
    const primary = await relyingParty(gw, tenant)
    expect(primary.config.serverMetadata().issuer).toBe(tenant.publicUrl)
    const other = await authorizationRequest(primary.config, { scope: 'openid' })
    const login = await followTo(httpBrowser(), other.url, '/login')
    expect(login.host).toBe(new URL(tenant.publicUrl).host)
    // A token of one host is not a token of the other (the issuer differs).
    await expect(verifyAccessToken(tenant.publicUrl, tokens.access_token)).rejects.toThrow()
  })
})

/** The AuthnRequest (XML) the start step sends the browser to the IdP with. */
async function authnRequestAt(browser: ReturnType<typeof httpBrowser>, start: URL) {
  const res = await browser.request(start)
  const idp = new URL(res.headers.get('location')!)
  const deflated = Buffer.from(idp.searchParams.get('SAMLRequest')!, 'base64')
  return inflateRawSync(deflated).toString('utf8')
}

/**
 * Follows redirects up to the sign-in's start, not into it: where the IdP round trip begins is
 * this file's concern, the round trip is the protocol files'.
 */
async function followTo(browser: ReturnType<typeof httpBrowser>, url: URL, pathname: string) {
  let current = new URL(url)
  for (let hop = 0; hop < 10 && current.pathname !== pathname; hop++) {
    const res = await browser.request(current)
    const location = res.headers.get('location')
    if (!location) throw new Error(`stopped at ${current.href} (${res.status})`)
    current = new URL(location, current)
  }
  expect(current.pathname).toBe(pathname)
  return current
}

/**
 * A store with a dedicated host (store.…) bound to a company directory: its public (primary) URL,
 * or, with `primary: false`, a host beside the primary `shop.…`.
 */
async function dedicatedStore({ primary = true } = {}) {
  const port = new URL(gw.config.publicUrlTemplate.replace('{host}', 'x.localhost')).port
  const slug = `t-${crypto.randomUUID().slice(0, 8)}`
  const hosts = [`store.${slug}.localhost`]
  const created = await gw.createTenant({
    slug,
    hosts: primary ? hosts : [`shop.${slug}.localhost`, ...hosts],
  })
  const { directory } = await addDirectory(gw, created)
  await gw.db
    .updateTable('tenant_hosts')
    .set({ directory_id: directory.id })
    .where('host', '=', `store.${slug}.localhost`)
    .execute()
  const tenant = await getTenant(gw.db, slug, gw.config)
  return { tenant, directory, storeHost: `store.${slug}.localhost:${port}` }
}

const ageSessions = (tenant: Tenant) =>
  gw.db
    .updateTable('sessions')
    .set({ created_at: new Date(Date.now() - 3_600_000) } as never)
    .where('tenant_id', '=', tenant.id)
    .execute()
