import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { Agent, fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll } from 'vitest'
import { createApp } from '../../src/tokens/apps.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { cookieJar, formToken } from './cookies.js'
import { type Gateway, type TestOptions, useGateway } from './harness.js'
import { PASSWORD, pageHelpers } from './pages.js'
import { freePort } from './process.js'

// Node's resolver does not know `*.localhost` (DESIGN.md): every tenant host goes to loopback.
const loopback = new Agent({
  connect: {
    lookup: (_host, _options, callback) =>
      callback(null, [{ address: '127.0.0.1', family: 4 }] as never, 4 as never),
  },
})

/** fetch for tenant hosts, as openid-client's and jose's customFetch. */
export const tenantFetch = ((url: string | URL, options?: RequestInit) =>
  undiciFetch(url, { ...(options as object), dispatcher: loopback })) as unknown as typeof fetch

/**
 * The gateway of this test file, listening on a free port that its tenants' public URLs (the
 * issuers) name, so real OIDC clients can reach it. Call with top-level await.
 */
export async function useOidcGateway(options: TestOptions = {}): Promise<Gateway> {
  const port = await freePort()
  const gw = useGateway({ PUBLIC_URL_TEMPLATE: `http://{host}:${port}` }, options)
  useListening(gw, port)
  return gw
}

/** The person the provider's tests sign in with a password (pageHelpers' member). */
export const ADA = { email: 'ada@example.com', password: PASSWORD }

/** The set-up of a file about the OpenID Provider: useOidcGateway, the page helpers, ADA. */
export async function useOidcTestSetUp(options: TestOptions = {}) {
  const gw = await useOidcGateway(options)
  return { gw, person: ADA, ...pageHelpers(gw) }
}

/** The gateway listening on `port`, for the tests of this file. */
export function useListening(gw: Gateway, port: number) {
  let server: Server
  beforeAll(async () => {
    server = gw.app.listen(port, '127.0.0.1')
    await once(server, 'listening')
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))
  return { address: () => server.address() as AddressInfo }
}

export const REDIRECT = 'https://app.example/callback'

/** The signing keys the OpenID Provider at `issuer` (a tenant's public URL) publishes, for jose. */
export const tenantJwks = (issuer: string) =>
  createRemoteJWKSet(new URL(`${issuer}/jwks`), { [customFetch]: tenantFetch })

/** An access token checked as an API of the tenant at `issuer` checks it (RFC 9068 at+jwt). */
export const verifyAccessToken = (issuer: string, token: string, algorithms = ['ES256', 'RS256']) =>
  jwtVerify(token, tenantJwks(issuer), {
    issuer,
    audience: `${issuer}/api`,
    typ: 'at+jwt',
    algorithms,
  })

/** A relying party of `tenant`: openid-client configured by discovery on the tenant's issuer. */
export async function relyingParty(
  gw: Gateway,
  tenant: Tenant,
  app: Parameters<typeof createApp>[2] = { name: 'Shop', type: 'web', redirectUris: [REDIRECT] },
) {
  const created = await createApp(gw.db, tenant.id, app)
  const config = await client.discovery(
    new URL(tenant.publicUrl),
    created.clientId,
    created.clientSecret ? { client_secret: created.clientSecret } : undefined,
    created.clientSecret ? undefined : client.None(),
    { execute: [client.allowInsecureRequests], [client.customFetch]: tenantFetch },
  )
  return { app: created, config }
}

/**
 * A person's browser over HTTP: a cookie jar per host and redirects followed by hand, so a test
 * sees every hop of a login flow. Stops at a URL outside the gateway (the app's redirect URI).
 */
export function httpBrowser() {
  const { jar, header, keep } = cookieJar()
  async function request(
    url: string | URL,
    init: { method?: string; form?: Record<string, string> } = {},
  ) {
    const target = new URL(url)
    const res = await tenantFetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: header(target.host),
        accept: 'text/html',
        ...(init.form && { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(init.form && { body: new URLSearchParams(init.form).toString() }),
    })
    keep(target.host, res.headers.getSetCookie())
    return res
  }
  /** Follows redirects while they stay on gateway hosts; returns the last response and URL. */
  async function follow(url: string | URL, init: Parameters<typeof request>[1] = {}) {
    let current = new URL(url)
    let res = await request(current, init)
    while (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location') ?? '', current)
      if (!next.hostname.endsWith('localhost')) return { res, url: next }
      current = next
      res = await request(current)
    }
    return { res, url: current }
  }
  /** Sends the form of the page at `url` (its CSRF token included) and follows on. */
  async function submit(url: string | URL, fields: Record<string, string>, action?: string) {
    const page = await request(url)
    const text = await page.text()
    const csrf = formToken(text)
    if (!csrf) throw new Error(`no form at ${url} (${page.status})`)
    return follow(new URL(action ?? new URL(url).pathname, url), {
      form: { _csrf: csrf, ...fields },
    })
  }
  /** Signs in on the login form the flow landed on, and follows on. */
  async function signIn(at: { url: URL }, email: string, password: string) {
    const return_to = at.url.searchParams.get('return_to') ?? '/'
    return submit(at.url, { email, password, return_to }, '/login')
  }
  return { request, follow, submit, signIn, jar }
}

/** An authorization request with PKCE (S256) and state, to the test app's redirect URI. */
export async function authorizationRequest(
  config: client.Configuration,
  params: Record<string, string> = {},
) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  })
  return { url, verifier, state }
}

/** The code the app's redirect URI received, exchanged with the request's PKCE verifier. */
export const exchangeCode = (
  config: client.Configuration,
  redirected: URL,
  request: { verifier: string; state: string },
) =>
  client.authorizationCodeGrant(config, redirected, {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
  })

/** Authorization code + PKCE through the login page; the tokens and the browser that got them. */
export async function authorize(
  config: client.Configuration,
  person: { email: string; password: string },
  options: {
    scope?: string
    browser?: ReturnType<typeof httpBrowser>
    params?: Record<string, string>
  } = {},
) {
  const browser = options.browser ?? httpBrowser()
  const { url, verifier, state } = await authorizationRequest(config, {
    scope: options.scope ?? 'openid profile email offline_access',
    prompt: 'consent',
    ...options.params,
  })
  let at = await browser.follow(url)
  if (at.url.pathname === '/login') at = await browser.signIn(at, person.email, person.password)
  const tokens =
    at.url.href.startsWith(REDIRECT) && !at.url.searchParams.has('error')
      ? await exchangeCode(config, at.url, { verifier, state })
      : undefined
  return { tokens, at, browser, verifier, state }
}

/** RP-initiated logout as a person does it: open the end-session URL, confirm on our page. */
export async function endSession(
  browser: ReturnType<typeof httpBrowser>,
  config: client.Configuration,
  idToken: string,
) {
  const confirm = await browser.follow(
    client.buildEndSessionUrl(config, { id_token_hint: idToken }),
  )
  const xsrf = formToken(await confirm.res.text(), 'xsrf')
  if (!xsrf) throw new Error(`no logout form at ${confirm.url.href} (${confirm.res.status})`)
  return browser.follow(new URL('/session/end/confirm', confirm.url), {
    form: { xsrf, logout: 'yes' },
  })
}
