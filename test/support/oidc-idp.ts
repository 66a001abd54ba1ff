import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose'
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider'
import { afterAll, beforeAll, expect } from 'vitest'
import { seal } from '../../src/lib/seal.js'
import { oidcRedirectUri, OidcDirectoryInput } from '../../src/sso/connection.js'
import { insertDirectoryRow } from '../../src/sso/directories.queries.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { cookieJar } from './cookies.js'
import type { Gateway } from './harness.js'
import { tenantFetch } from './oidc.js'

// The companies' identity providers of the OIDC sign-in tests, in the test process on
// 127.0.0.1: a real oidc-provider (the company's IdP, with test users and clients registered
// per test), and a hostile stand-in that answers with crafted ID tokens.

const random = () => randomBytes(12).toString('base64url')
type Method = 'client_secret_basic' | 'client_secret_post'
type Client = { clientId: string; clientSecret: string; redirectUri: string; method: Method }

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) body += chunk
  return new URLSearchParams(body)
}

const closing = (server: Server) => new Promise((resolve) => server.close(resolve))

// --- The company's IdP: oidc-provider ---------------------------------------------------------

export type IdpUser = {
  password: string
  email: string
  email_verified?: boolean
  given_name?: string
  family_name?: string
  groups?: string[]
}

/** oidc-provider's storage, in a Map: clients registered by the tests live here too. */
function mapAdapter(store: Map<string, AdapterPayload>) {
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`
    const find = async (id: string) => store.get(key(id))
    const where = async (field: 'uid' | 'userCode', value: string) =>
      [...store.entries()].find(([k, p]) => k.startsWith(`${model}:`) && p[field] === value)?.[1]
    return {
      upsert: async (id, payload) => void store.set(key(id), payload),
      find,
      findByUid: (uid) => where('uid', uid),
      findByUserCode: (code) => where('userCode', code),
      consume: async (id) => {
        const payload = store.get(key(id))
        if (payload) payload.consumed = Math.floor(Date.now() / 1000)
      },
      destroy: async (id) => void store.delete(key(id)),
      revokeByGrantId: async (grantId) => {
        for (const [k, p] of store) if (p.grantId === grantId) store.delete(k)
      },
    }
  }
}

const loginForm = (uid: string) =>
  `<!doctype html><title>Corp sign-in</title><form method="post" action="/interaction/${uid}/login">` +
  '<input name="login"><input name="password" type="password"><button>Sign in</button></form>'

/** The company's IdP: a real oidc-provider on 127.0.0.1; call at the top of a test file. */
export function useCompanyIdp() {
  const users = new Map<string, IdpUser>()
  const store = new Map<string, AdapterPayload>()
  const idp = {
    issuer: '',
    users,
    /** A client of the IdP (the gateway's directory), with its exact redirect URI. */
    addClient: (client: Client) =>
      void store.set(`Client:${client.clientId}`, {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        token_endpoint_auth_method: client.method,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      }),
    /**
     * Opens `url` (the start of a company sign-in) in a new browser, signs in here as `login`
     * with their password, and returns the browser and the gateway's answer at the callback.
     */
    async signInFrom(url: URL, login: string) {
      const browser = ssoBrowser()
      const form = await browser.follow(url)
      expect(form.url.origin).toBe(idp.issuer)
      const back = await browser.signInAtIdp(form, login, users.get(login)!.password, atCallback)
      expect(back.next, 'the IdP sent the person back to the callback').toBeDefined()
      return { browser, answer: await browser.request(back.next!) }
    },
  }
  let server: Server
  beforeAll(async () => {
    let provider: Provider | undefined
    const started = await listen((req, res) => void handle(req, res))
    server = started.server
    idp.issuer = `http://127.0.0.1:${started.port}`
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    provider = new Provider(idp.issuer, {
      adapter: mapAdapter(store),
      jwks: {
        keys: [
          { ...(await exportJWK(privateKey)), kid: 'corp-1', alg: 'RS256', use: 'sig' },
        ] as never,
      },
      cookies: { keys: [random()] },
      claims: {
        acr: null,
        auth_time: null,
        sid: null,
        // In every ID token: how the person signed in at the company (RFC 8176).
        openid: ['sub', 'amr'],
        email: ['email', 'email_verified'],
        profile: ['given_name', 'family_name', 'groups'],
      },
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx, id) => {
        const user = users.get(id)
        if (!user) return undefined
        const { password: _password, ...claims } = user
        return { accountId: id, claims: async () => ({ sub: id, ...claims }) }
      },
    })

    async function handle(req: IncomingMessage, res: ServerResponse) {
      const path = new URL(req.url ?? '/', idp.issuer).pathname
      const uid = /^\/interaction\/([\w-]+)(\/login)?$/.exec(path)
      if (!uid || !provider) return provider?.callback()(req, res)
      const details = await provider.interactionDetails(req, res)
      if (uid[2] && req.method === 'POST') {
        const form = await readForm(req)
        const login = form.get('login') ?? ''
        if (users.get(login)?.password !== form.get('password'))
          return void res.writeHead(401, { 'content-type': 'text/html' }).end(loginForm(uid[1]!))
        const result = { login: { accountId: login, amr: ['pwd', 'mfa'] } }
        return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
      }
      if (details.prompt.name === 'login')
        return void res.writeHead(200, { 'content-type': 'text/html' }).end(loginForm(uid[1]!))
      // Consent: the company's IdP trusts its own employee directory app.
      const asked = details.prompt.details as {
        missingOIDCScope?: string[]
        missingOIDCClaims?: string[]
      }
      const grant = new provider.Grant({
        accountId: details.session!.accountId,
        clientId: details.params.client_id as string,
      })
      if (asked.missingOIDCScope) grant.addOIDCScope(asked.missingOIDCScope.join(' '))
      if (asked.missingOIDCClaims) grant.addOIDCClaims(asked.missingOIDCClaims)
      const grantId = await grant.save()
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      )
    }
  })
  afterAll(() => closing(server))
  return idp
}

// --- The hostile IdP: discovery, keys, authorization and token endpoints by hand --------------

/** How the stand-in answers a client's sign-in. */
export type Scenario = {
  /** How the ID token is signed: well (RS256, its published key) or one of the attacks. */
  sign?: 'rs256' | 'none' | 'hmac-public-key' | 'tampered' | 'unknown-kid' | 'es256'
  /** Claims put over the ID token's good ones (iss, aud, nonce, the person's). */
  claims?: Record<string, unknown>
  /** Seconds from the token's issue to its `exp` (default 300; negative: expired already). */
  expiresIn?: number
  /** Parameters put over the authorization response (null removes one). */
  answer?: Record<string, string | null>
}

const PERSON = {
  email: 'erin@corp.example',
  email_verified: true,
  given_name: 'Erin',
  family_name: 'Hostile',
  groups: ['staff'],
}

export type HostileIdp = ReturnType<typeof useHostileIdp>

/**
 * The stand-in, on 127.0.0.1. `entra`: it plays Entra ID's multi-tenant endpoints, whose
 * public URLs are on https://login.microsoftonline.com (the gateway's fetch and the test
 * browser send that origin here: `toStandIn`), and whose discovery issuer is the template
 * https://login.microsoftonline.com/{tenantid}/v2.0.
 */
export function useHostileIdp(options: { entra?: boolean } = {}) {
  const clients = new Map<string, Client & { scenario: Scenario }>()
  const codes = new Map<
    string,
    { clientId: string; nonce: string; challenge: string; redirectUri: string }
  >()
  const tokens = new Map<string, string>() // access token -> client id
  const idp = {
    /** What a directory names as its issuer. */
    issuer: '',
    /** The stand-in's own origin (http://127.0.0.1:port). */
    origin: '',
    /** The Date header's distance from the true time, in seconds (directory checks). */
    clockOffsetSeconds: 0,
    /** Sign-ins the stand-in answered, by client: the gateway's authorization requests. */
    authorizations: [] as URLSearchParams[],
    userinfoCalls: 0,
    addClient: (client: Client, scenario: Scenario = {}) =>
      void clients.set(client.clientId, { ...client, scenario }),
    scenario: (clientId: string, scenario: Scenario) =>
      void (clients.get(clientId)!.scenario = scenario),
    /** Sends a URL of the IdP's public origin (Entra's) to the stand-in. */
    toStandIn: (url: string | URL) => {
      const u = new URL(url)
      return u.origin === 'https://login.microsoftonline.com'
        ? new URL(`${u.pathname}${u.search}`, idp.origin)
        : u
    },
  }
  const base = () => (options.entra ? 'https://login.microsoftonline.com' : idp.origin)
  const prefix = options.entra ? '/organizations' : ''
  let server: Server
  let keys: Awaited<ReturnType<typeof makeKeys>>

  async function makeKeys() {
    const rsa = await generateKeyPair('RS256', { extractable: true })
    const ec = await generateKeyPair('ES256', { extractable: true })
    const attacker = await generateKeyPair('RS256')
    const jwk = (key: JWK, kid: string, alg: string) => ({ ...key, kid, alg, use: 'sig' })
    return {
      rsa,
      ec,
      attacker,
      publicPem: await exportSPKI(rsa.publicKey),
      jwks: [
        jwk(await exportJWK(rsa.publicKey), 'good-1', 'RS256'),
        jwk(await exportJWK(ec.publicKey), 'good-ec', 'ES256'),
      ],
    }
  }

  async function idToken(scenario: Scenario, claims: JWTPayload): Promise<string> {
    const all = { ...claims, ...scenario.claims }
    const jwt = (header: { alg: string; kid?: string }) =>
      new SignJWT(all).setProtectedHeader(header)
    switch (scenario.sign ?? 'rs256') {
      case 'none':
        return new UnsecuredJWT(all).encode()
      case 'hmac-public-key': // the IdP's public key, used as an HMAC secret (RFC 8725 2.1)
        return jwt({ alg: 'HS256', kid: 'good-1' }).sign(new TextEncoder().encode(keys.publicPem))
      case 'unknown-kid':
        return jwt({ alg: 'RS256', kid: 'not-published' }).sign(keys.attacker.privateKey)
      case 'es256': // signed well, with the IdP's key, by another algorithm than the pinned one
        return jwt({ alg: 'ES256', kid: 'good-ec' }).sign(keys.ec.privateKey)
      case 'tampered': {
        // A well-signed token whose payload was changed afterwards: the signature fails.
        const [header, , signature] = (
          await jwt({ alg: 'RS256', kid: 'good-1' }).sign(keys.rsa.privateKey)
        ).split('.')
        const payload = Buffer.from(JSON.stringify({ ...all, email: 'ceo@corp.example' })).toString(
          'base64url',
        )
        return [header, payload, signature].join('.')
      }
      default:
        return jwt({ alg: 'RS256', kid: 'good-1' }).sign(keys.rsa.privateKey)
    }
  }

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const date = new Date(Date.now() + idp.clockOffsetSeconds * 1000).toUTCString()
    res.writeHead(status, { 'content-type': 'application/json', date }).end(JSON.stringify(body))
  }

  function discovery() {
    const at = (path: string) => `${base()}${prefix}${path}`
    return {
      issuer: options.entra ? 'https://login.microsoftonline.com/{tenantid}/v2.0' : idp.issuer,
      authorization_endpoint: at('/oauth2/v2.0/authorize'),
      token_endpoint: at('/oauth2/v2.0/token'),
      jwks_uri: at('/discovery/v2.0/keys'),
      userinfo_endpoint: at('/oidc/userinfo'),
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      // What SECURITY-NOTES.md found openid-client accepts by default when listed.
      id_token_signing_alg_values_supported: ['RS256', 'ES256', 'HS256', 'none'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
      ...(!options.entra && { authorization_response_iss_parameter_supported: true }),
    }
  }

  /** The issuer an ID token of this client names: Entra's is the one of the token's `tid`. */
  const tokenIssuer = (scenario: Scenario) =>
    options.entra
      ? `https://login.microsoftonline.com/${String(scenario.claims?.tid)}/v2.0`
      : idp.issuer

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', idp.origin)
    const path = url.pathname.slice(prefix.length)
    // At any path: a directory whose issuer names another path meets a document naming this one.
    if (path.endsWith('/.well-known/openid-configuration')) return json(res, 200, discovery())
    if (path === '/discovery/v2.0/keys') return json(res, 200, { keys: keys.jwks })
    if (path === '/oauth2/v2.0/authorize') {
      const q = url.searchParams
      idp.authorizations.push(q)
      const client = clients.get(q.get('client_id') ?? '')
      if (!client || q.get('redirect_uri') !== client.redirectUri)
        return json(res, 400, { error: 'invalid_client' })
      const code = random()
      codes.set(code, {
        clientId: client.clientId,
        nonce: q.get('nonce') ?? '',
        challenge: q.get('code_challenge') ?? '',
        redirectUri: client.redirectUri,
      })
      const back = new URL(client.redirectUri)
      back.searchParams.set('code', code)
      back.searchParams.set('state', q.get('state') ?? '')
      if (!options.entra) back.searchParams.set('iss', idp.issuer) // RFC 9207
      for (const [k, v] of Object.entries(client.scenario.answer ?? {}))
        if (v === null) back.searchParams.delete(k)
        else back.searchParams.set(k, v)
      return void res.writeHead(302, { location: back.href }).end()
    }
    if (path === '/oauth2/v2.0/token' && req.method === 'POST') {
      const form = await readForm(req)
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      const [id, secret] = basic
        ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
        : [form.get('client_id'), form.get('client_secret')]
      const client = clients.get(id ?? '')
      const method = basic ? 'client_secret_basic' : 'client_secret_post'
      if (!client || client.clientSecret !== secret || client.method !== method)
        return json(res, 401, { error: 'invalid_client' })
      // Codes stay usable: a lax IdP, so the gateway's own single use is what a replay meets.
      const grant = codes.get(form.get('code') ?? '')
      const verifier = form.get('code_verifier') ?? ''
      const challenge = createHash('sha256').update(verifier).digest('base64url')
      if (
        !grant ||
        grant.clientId !== client.clientId ||
        grant.challenge !== challenge ||
        form.get('redirect_uri') !== grant.redirectUri
      )
        return json(res, 400, { error: 'invalid_grant' })
      const accessToken = random()
      tokens.set(accessToken, client.clientId)
      const now = Math.floor(Date.now() / 1000)
      const claims = {
        iss: tokenIssuer(client.scenario),
        aud: client.clientId,
        sub: `sub-${client.clientId}`,
        iat: now,
        exp: now + (client.scenario.expiresIn ?? 300),
        nonce: grant.nonce,
        ...PERSON,
      }
      return json(res, 200, {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 300,
        id_token: await idToken(client.scenario, claims),
      })
    }
    if (path === '/oidc/userinfo') {
      idp.userinfoCalls++
      const clientId = tokens.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '')
      if (!clientId) return json(res, 401, { error: 'invalid_token' })
      return json(res, 200, { sub: `sub-${clientId}`, ...PERSON })
    }
    json(res, 404, { error: 'not_found' })
  }

  beforeAll(async () => {
    keys = await makeKeys()
    const started = await listen((req, res) => void handle(req, res))
    server = started.server
    idp.origin = `http://127.0.0.1:${started.port}`
    idp.issuer = options.entra ? 'https://login.microsoftonline.com/organizations/v2.0' : idp.origin
  })
  afterAll(() => closing(server))
  return idp
}

// --- The gateway's side ------------------------------------------------------------------------

/**
 * An OIDC directory of `tenant` at `idp`, stored as the admin API stores it (client secret
 * sealed for 'oidc-client-secret'), and the matching client registered at the IdP.
 */
export async function connectOidc(
  gw: Gateway,
  tenant: Tenant,
  idp: { issuer: string; addClient: (client: Client, scenario?: Scenario) => void },
  options: Partial<Omit<OidcDirectoryInput, 'kind' | 'issuer' | 'clientId' | 'clientSecret'>> & {
    scenario?: Scenario
  } = {},
) {
  const { scenario, ...rest } = options
  const client = { clientId: `gw-${random()}`, clientSecret: random() }
  const input = OidcDirectoryInput.parse({
    kind: 'oidc',
    name: 'Corp',
    issuer: idp.issuer,
    ...client,
    ...rest,
  })
  const { kind, name, host, clientSecret, ...config } = input
  const directoryId = await insertDirectoryRow(gw.db, {
    tenantId: tenant.id,
    kind,
    name,
    config,
    secretSealed: seal(gw.config.secretKey, 'oidc-client-secret', clientSecret),
    host,
  })
  const redirectUri = oidcRedirectUri(tenant, { id: directoryId, host: host ?? null })
  idp.addClient({ ...client, redirectUri, method: input.tokenEndpointAuthMethod }, scenario)
  return { directoryId, clientId: client.clientId, redirectUri }
}

/**
 * A person's browser across the gateway and the IdPs: a cookie jar per host and every redirect
 * followed by hand. `rewrite` sends a public IdP origin (Entra's) to its stand-in.
 */
export function ssoBrowser(rewrite: (url: URL) => URL = (url) => url) {
  const { header, keep } = cookieJar()
  async function request(url: string | URL, form?: Record<string, string>) {
    const target = rewrite(new URL(url))
    const res = await tenantFetch(target, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: header(target.host),
        accept: 'text/html',
        ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(form && { body: new URLSearchParams(form).toString() }),
    })
    keep(target.host, res.headers.getSetCookie())
    return { res, url: target }
  }
  /** Follows redirects; stops before requesting a URL that `until` accepts. */
  async function follow(
    url: string | URL,
    options: { form?: Record<string, string>; until?: (url: URL) => boolean } = {},
  ) {
    let at = await request(url, options.form)
    while (at.res.status >= 300 && at.res.status < 400) {
      const next = new URL(at.res.headers.get('location') ?? '', at.url)
      if (options.until?.(next)) return { ...at, next }
      at = await request(next)
    }
    return { ...at, next: undefined }
  }
  /** Signs in on the company IdP's login form the browser is at, and follows on. */
  async function signInAtIdp(
    at: { res: Response; url: URL },
    login: string,
    password: string,
    until?: (url: URL) => boolean,
  ) {
    const action = /action="([^"]+)"/.exec(await at.res.text())?.[1]
    if (!action) throw new Error(`no IdP login form at ${at.url.href} (${at.res.status})`)
    return follow(new URL(action, at.url), { form: { login, password }, ...(until && { until }) })
  }
  return { request, follow, signInAtIdp, cookie: (host: string) => header(host) }
}

/** The browser reached the gateway's OIDC callback (stop there to look at its answer). */
export const atCallback = (url: URL) => /^\/sso\/oidc\/[^/]+\/callback$/.test(url.pathname)
