import { randomUUID, createPublicKey } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RequestHandler } from 'express'
import {
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest'
import {
  type AccessTokenClaims,
  type AuthRequest,
  InvalidTokenError,
  requireAccessToken,
  verifyAccessToken,
  type VerifyOptions,
} from 'auth-gateway/verifier'
import type { Tenant } from '../../src/tenants/tenants.js'
import { freePort } from '../support/process.js'
import { authorize, relyingParty, tenantFetch, useOidcGateway } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// The `auth-gateway/verifier` export, as an app's API uses it, against a listening gateway's
// tokens, and against keys we sign with ourselves (served by a tiny JWKS server).
// RS256, the product's default: this file is about signing and verifying.
const gw = await useOidcGateway({ signingAlg: 'RS256' })
const { member, store } = pageHelpers(gw)
const person = { email: 'ada@example.com', password: PASSWORD }

const json = (value: unknown) => base64url.encode(JSON.stringify(value))
const now = () => Math.floor(Date.now() / 1000)

async function refused(token: string, options: VerifyOptions, code: InvalidTokenError['code']) {
  const error = await verifyAccessToken(token, options).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected ${code}`).toBeInstanceOf(InvalidTokenError)
  expect((error as InvalidTokenError).code).toBe(code)
}

/** Calls the middleware with plain objects; resolves on next() or on the answer. */
function callMiddleware(handler: ReturnType<typeof requireAccessToken>, authorization?: string) {
  return new Promise<{
    req: AuthRequest
    status?: number
    headers: Record<string, string>
    body?: unknown
    next?: { error: unknown }
  }>((resolve) => {
    const req: AuthRequest = { headers: authorization === undefined ? {} : { authorization } }
    const out: { status?: number; headers: Record<string, string> } = { headers: {} }
    const res = {
      status(code: number) {
        out.status = code
        return res
      },
      setHeader(name: string, value: string) {
        out.headers[name.toLowerCase()] = value
      },
      json(body: unknown) {
        resolve({ req, ...out, body })
      },
    }
    handler(req, res, (error?: unknown) => resolve({ req, ...out, next: { error } }))
  })
}

describe('verifyAccessToken with the gateway’s tokens', () => {
  let tenant: Tenant
  let other: Tenant
  let clientId: string
  let accessToken: string
  let idToken: string
  let ours: VerifyOptions

  beforeAll(async () => {
    ;({ tenant } = await member(person.email))
    ;({ tenant: other } = await store())
    const { app, config } = await relyingParty(gw, tenant)
    const { tokens } = await authorize(config, person)
    clientId = app.clientId
    accessToken = tokens!.access_token
    idToken = tokens!.id_token!
    ours = { issuer: tenant.publicUrl, audience: `${tenant.publicUrl}/api`, fetch: tenantFetch }
  })

  it('returns the claims of a valid token', async () => {
    const claims = await verifyAccessToken(accessToken, ours)
    expectTypeOf(claims).toEqualTypeOf<AccessTokenClaims>()
    expect(claims).toMatchObject({
      iss: tenant.publicUrl,
      aud: `${tenant.publicUrl}/api`,
      client_id: clientId,
      tenant: tenant.slug,
      email: person.email,
      roles: ['user'],
      groups: ['Everybody'],
      kind: 'member',
    })
    expect(claims.jti).toBeTruthy()
    expect(claims.sub).toBeTruthy()
  })

  it('refuses it for another tenant, another audience, or as an ID token', async () => {
    const theirs = { issuer: other.publicUrl, audience: `${other.publicUrl}/api` }
    await refused(accessToken, { ...theirs, fetch: tenantFetch }, 'unknown_key')
    await refused(accessToken, { ...ours, audience: theirs.audience }, 'wrong_audience')
    await refused(accessToken, { ...ours, audience: `${tenant.publicUrl}/other` }, 'wrong_audience')
    await refused(accessToken, { ...ours, issuer: `${tenant.publicUrl}/` }, 'wrong_issuer')
    await refused(idToken, { ...ours, audience: clientId }, 'wrong_type')
    await refused('not-a-jwt', ours, 'malformed')
  })

  it('refuses alg none, HS256 with the public key as secret, and a tampered payload', async () => {
    const [header, payload, signature] = accessToken.split('.') as [string, string, string]
    const unsigned = `${json({ ...decodeProtectedHeader(accessToken), alg: 'none' })}.${payload}.`
    await refused(unsigned, ours, 'wrong_algorithm')

    const jwks = (await (await tenantFetch(`${tenant.publicUrl}/jwks`)).json()) as { keys: JWK[] }
    const rsa = jwks.keys.find((k) => k.kid === decodeProtectedHeader(accessToken).kid)!
    const pem = createPublicKey({ key: rsa as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    }) as string
    for (const secret of [pem, rsa.n!, JSON.stringify(rsa)]) {
      const hs256 = await new SignJWT(decodeJwt(accessToken))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: rsa.kid })
        .sign(new TextEncoder().encode(secret))
      await refused(hs256, ours, 'wrong_algorithm')
      // Even a caller that allows HS256 never uses an RSA key as an HMAC secret.
      await refused(hs256, { ...ours, algorithms: ['RS256', 'HS256'] }, 'wrong_algorithm')
    }

    const claims = decodeJwt(accessToken)
    const tampered = `${header}.${json({ ...claims, roles: ['admin'] })}.${signature}`
    await refused(tampered, ours, 'bad_signature')
  })

  it('as middleware: 401 without a token or with a bad one, req.auth with a good one', async () => {
    const handler = requireAccessToken(ours)
    expectTypeOf(handler).toExtend<RequestHandler>()

    for (const authorization of [undefined, '', 'Basic YWRhOnB3', 'Bearer']) {
      const missing = await callMiddleware(handler, authorization)
      expect(missing.status).toBe(401)
      expect(missing.headers['www-authenticate']).toBe('Bearer')
      expect(missing.next).toBeUndefined()
    }

    const bad = await callMiddleware(handler, `Bearer ${accessToken.slice(0, -4)}AAAA`)
    expect(bad.status).toBe(401)
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"')
    expect(bad.body).toEqual({ error: 'invalid_token', message: 'the token signature is invalid' })
    expect(bad.next).toBeUndefined()
    expect(bad.req.auth).toBeUndefined()

    const wrongTenant = requireAccessToken({ ...ours, audience: `${other.publicUrl}/api` })
    const elsewhere = await callMiddleware(wrongTenant, `Bearer ${accessToken}`)
    expect(elsewhere.status).toBe(401)
    expect(elsewhere.body).toMatchObject({ error: 'invalid_token' })

    const good = await callMiddleware(handler, `bearer ${accessToken}`)
    expect(good.status).toBeUndefined()
    expect(good.next).toEqual({ error: undefined })
    expect(good.req.auth).toMatchObject({ tenant: tenant.slug, email: person.email })
  })
})

describe('verifyAccessToken with keys we sign with', () => {
  // A JWKS server: every `<issuer path>/jwks` serves `keys`; `hits` counts fetches per path.
  let keys: JWK[] = []
  const hits = new Map<string, number>()
  const server = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys }))
  })
  beforeAll(async () => {
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
  })
  afterAll(() => new Promise((resolve) => server.close(resolve)))
  const issuer = (path: string) =>
    `http://127.0.0.1:${(server.address() as AddressInfo).port}/${path}`

  async function signingKey(kid: string) {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
    /** An access token of `iss`, live for ten minutes unless `claims` say otherwise. */
    const sign = (iss: string, claims: Record<string, unknown> = {}, typ = 'at+jwt') =>
      new SignJWT({
        iss,
        aud: `${iss}/api`,
        sub: 'user-1',
        client_id: 'app-1',
        jti: randomUUID(),
        iat: now(),
        exp: now() + 600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', typ, kid })
        .sign(privateKey)
    return { jwk, sign }
  }
  const optionsFor = (iss: string): VerifyOptions => ({ issuer: iss, audience: `${iss}/api` })

  it('refuses expired tokens, beyond a small clock tolerance', async () => {
    const key = await signingKey('k-exp')
    keys = [key.jwk]
    const iss = issuer('expiry')
    await refused(
      await key.sign(iss, { iat: now() - 700, exp: now() - 60 }),
      optionsFor(iss),
      'expired',
    )
    const justNow = await key.sign(iss, { exp: now() - 2 })
    await expect(verifyAccessToken(justNow, optionsFor(iss))).resolves.toMatchObject({
      sub: 'user-1',
    })
    await refused(justNow, { ...optionsFor(iss), clockToleranceSeconds: 0 }, 'expired')
  })

  it('refuses another issuer, a missing exp or client_id, and another typ', async () => {
    const key = await signingKey('k-claims')
    keys = [key.jwk]
    const iss = issuer('claims')
    await refused(
      await key.sign('https://elsewhere.example', { aud: `${iss}/api` }),
      optionsFor(iss),
      'wrong_issuer',
    )
    await refused(await key.sign(iss, { exp: undefined }), optionsFor(iss), 'invalid_claims')
    await refused(await key.sign(iss, { client_id: undefined }), optionsFor(iss), 'invalid_claims')
    await refused(await key.sign(iss, {}, 'JWT'), optionsFor(iss), 'wrong_type')
  })

  it('fetches the JWKS once per issuer and fetch function', async () => {
    const key = await signingKey('k-cache')
    keys = [key.jwk]
    const iss = issuer('cache')
    await verifyAccessToken(await key.sign(iss), optionsFor(iss))
    await verifyAccessToken(await key.sign(iss), optionsFor(iss))
    expect(hits.get('/cache/jwks')).toBe(1)
    const proxied = ((...args: Parameters<typeof fetch>) => fetch(...args)) as typeof fetch
    await verifyAccessToken(await key.sign(iss), { ...optionsFor(iss), fetch: proxied })
    await verifyAccessToken(await key.sign(iss), { ...optionsFor(iss), fetch: proxied })
    expect(hits.get('/cache/jwks')).toBe(2)
  })

  it('follows a key rotation: refetches on an unknown kid, after jose’s 30 s cooldown', async () => {
    const [first, second] = [await signingKey('k-1'), await signingKey('k-2')]
    const iss = issuer('rotation')
    keys = [first.jwk]
    await expect(verifyAccessToken(await first.sign(iss), optionsFor(iss))).resolves.toBeTruthy()
    expect(hits.get('/rotation/jwks')).toBe(1)

    keys = [second.jwk]
    // Within the cooldown an unknown kid does not refetch: random kids cannot hammer the issuer.
    await refused(await second.sign(iss), optionsFor(iss), 'unknown_key')
    expect(hits.get('/rotation/jwks')).toBe(1)
    try {
      vi.setSystemTime(Date.now() + 31_000)
      const claims = await verifyAccessToken(await second.sign(iss), optionsFor(iss))
      expect(claims.sub).toBe('user-1')
      expect(hits.get('/rotation/jwks')).toBe(2)
      await refused(await first.sign(iss), optionsFor(iss), 'unknown_key')
    } finally {
      vi.useRealTimers()
    }
  })

  it('does not call an unreachable JWKS an invalid token: the middleware passes it on', async () => {
    const key = await signingKey('k-down')
    const iss = `http://127.0.0.1:${await freePort()}`
    const token = await key.sign(iss)
    const error = await verifyAccessToken(token, optionsFor(iss)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(InvalidTokenError)
    const passed = await callMiddleware(requireAccessToken(optionsFor(iss)), `Bearer ${token}`)
    expect(passed.status).toBeUndefined()
    expect(passed.next?.error).toBeInstanceOf(Error)
  })
})
