import { jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { seal } from '../../src/lib/seal.js'
import { beginOidcSignIn, checkOidcDirectory } from '../../src/sso/oidc.js'
import { findEnterpriseDirectory } from '../../src/sso/directories.js'
import { ssoContextOf } from '../../src/sso/connection.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import {
  atCallback,
  connectOidc,
  ssoBrowser,
  useCompanyIdp,
  useHostileIdp,
} from '../support/oidc-idp.js'
import {
  authorizationRequest,
  exchangeCode,
  REDIRECT,
  relyingParty,
  tenantJwks,
  useOidcTestSetUp,
  verifyAccessToken,
} from '../support/oidc.js'

// Issue 10, OpenID Connect relying party: employees sign in at their company's IdP (a real
// oidc-provider here), their account is made at the first sign-in and refreshed at each one
// after, and the store's apps get the tenant's own tokens (openid-client there, jose here).
const { gw, store } = await useOidcTestSetUp()
const idp = useCompanyIdp()
const hostile = useHostileIdp()

const ALICE = {
  password: 'alice-at-corp',
  email: 'alice@corp.example',
  email_verified: true,
  given_name: 'Alice',
  family_name: 'Liddell',
  groups: ['engineering'],
}

const startUrl = (tenant: Tenant, directoryId: string, returnTo = '/') =>
  new URL(`/sso/${directoryId}/start?return_to=${encodeURIComponent(returnTo)}`, tenant.publicUrl)

/** A sign-in at the company IdP, up to the gateway's answer at the callback. */
const signInAtCompany = (tenant: Tenant, directoryId: string, login: string, returnTo = '/') =>
  idp.signInFrom(startUrl(tenant, directoryId, returnTo), login)

const usersOf = (directoryId: string) =>
  gw.db.selectFrom('users').selectAll().where('directory_id', '=', directoryId).execute()
const membershipOf = (tenant: Tenant, userId: string) =>
  gw.db
    .selectFrom('memberships')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
const sessionsOf = (tenant: Tenant) =>
  gw.db.selectFrom('sessions').selectAll().where('tenant_id', '=', tenant.id).execute()

describe('OIDC sign-in through the company IdP (oidc-provider)', () => {
  it('signs in at the IdP, makes the account just in time, and an app gets tokens by code + PKCE (OWASP ASVS 5.0 V10)', async () => {
    const { tenant } = await store()
    idp.users.set('alice', ALICE)
    const { directoryId } = await connectOidc(gw, tenant, idp, {
      groupMapping: [{ idpGroup: 'engineering', groups: ['Engineers'] }],
    })
    const { config } = await relyingParty(gw, tenant)

    // The app sends the person to the tenant's OpenID Provider, which asks our login page.
    const request = await authorizationRequest(config, { scope: 'openid email profile' })
    const browser = ssoBrowser()
    const login = await browser.follow(request.url)
    expect(login.url.pathname).toBe('/login')
    const returnTo = login.url.searchParams.get('return_to')!
    expect(returnTo).toMatch(/^\/interaction\//)

    // The person picks the company sign-in: off to the IdP, signed in there, back at the callback.
    const started = await browser.request(startUrl(tenant, directoryId, returnTo))
    expect(started.res.status).toBe(303)
    const authorization = new URL(started.res.headers.get('location')!)
    expect(authorization.origin).toBe(idp.issuer)
    const form = await browser.follow(authorization)
    const back = await browser.signInAtIdp(form, 'alice', ALICE.password, atCallback)
    const answer = await browser.request(back.next!)
    expect(answer.res.status).toBe(303)
    expect(answer.res.headers.get('location')).toBe(returnTo)
    expect(answer.res.headers.getSetCookie().some((c) => c.startsWith('gw_session='))).toBe(true)

    // Back to the app with a code: its tokens are the tenant's, verified with jose.
    const done = await browser.follow(new URL(returnTo, tenant.publicUrl), {
      until: (url) => url.href.startsWith(REDIRECT),
    })
    const tokens = await exchangeCode(config, done.next!, request)
    const { payload } = await jwtVerify(tokens.id_token!, tenantJwks(tenant.publicUrl), {
      issuer: tenant.publicUrl,
      audience: config.clientMetadata().client_id,
    })
    expect(payload).toMatchObject({
      email: ALICE.email,
      given_name: 'Alice',
      family_name: 'Liddell',
    })
    const access = await verifyAccessToken(tenant.publicUrl, tokens.access_token)
    expect(access.payload).toMatchObject({
      sub: payload.sub,
      tenant: tenant.slug,
      groups: ['Everybody', 'Engineers'],
    })

    // Keyed by the IdP's subject; the IdP's amr kept on the session.
    const [user] = await usersOf(directoryId)
    expect(user).toMatchObject({ subject: 'alice', email: ALICE.email, first_name: 'Alice' })
    expect((await sessionsOf(tenant))[0]?.amr).toEqual(['pwd', 'mfa'])
    // What the gateway sent the IdP: code + PKCE S256 + state + nonce (RFC 9700 2.1.1).
    const sent = authorization.searchParams
    expect(sent.get('response_type')).toBe('code')
    expect(sent.get('code_challenge_method')).toBe('S256')
    expect(sent.get('state')).toMatch(/^[\w-]{40,}$/)
    expect(sent.get('nonce')).toMatch(/^[\w-]{40,}$/)
    expect(sent.get('scope')).toBe('openid email profile')
  })

  it('refreshes the account at the next sign-in: names and groups from the IdP, one identity', async () => {
    const { tenant } = await store()
    idp.users.set('bob', {
      ...ALICE,
      password: 'bob-at-corp',
      email: 'bob@corp.example',
      given_name: 'Bob',
    })
    const { directoryId } = await connectOidc(gw, tenant, idp, {
      groupMapping: [
        { idpGroup: 'engineering', groups: ['Engineers'] },
        { idpGroup: 'sales', groups: ['Sellers'] },
      ],
    })
    const first = await signInAtCompany(tenant, directoryId, 'bob')
    expect(first.answer.res.status).toBe(303)
    const [created] = await usersOf(directoryId)
    expect((await membershipOf(tenant, created!.id)).groups).toEqual(['Everybody', 'Engineers'])

    idp.users.set('bob', {
      ...idp.users.get('bob')!,
      given_name: 'Robert',
      family_name: 'Tables',
      groups: ['sales'],
    })
    const second = await signInAtCompany(tenant, directoryId, 'bob')
    expect(second.answer.res.status).toBe(303)
    const users = await usersOf(directoryId)
    expect(users).toHaveLength(1)
    expect(users[0]).toMatchObject({ id: created!.id, first_name: 'Robert', last_name: 'Tables' })
    expect((await membershipOf(tenant, created!.id)).groups).toEqual(['Everybody', 'Sellers'])
  })

  it("passes an app's demand for a fresh sign-in on to the IdP as prompt=login (OIDC Core 3.1.2.1)", async () => {
    const { tenant } = await store()
    const { directoryId } = await connectOidc(gw, tenant, idp)
    const authorizeUrlOf = async (returnTo: string) => {
      const res = await ssoBrowser().request(startUrl(tenant, directoryId, returnTo))
      expect(res.res.status).toBe(303)
      return new URL(res.res.headers.get('location')!)
    }
    expect((await authorizeUrlOf('/interaction/abc?fresh=1')).searchParams.get('prompt')).toBe(
      'login',
    )
    expect((await authorizeUrlOf('/interaction/abc')).searchParams.has('prompt')).toBe(false)
  })

  it('authenticates to the token endpoint with client_secret_post when the connection says so', async () => {
    const { tenant } = await store()
    idp.users.set('carol', { ...ALICE, password: 'carol-at-corp', email: 'carol@corp.example' })
    // oidc-provider holds the client to its registered method: basic would be refused.
    const { directoryId } = await connectOidc(gw, tenant, idp, {
      tokenEndpointAuthMethod: 'client_secret_post',
    })
    const { answer } = await signInAtCompany(tenant, directoryId, 'carol')
    expect(answer.res.status).toBe(303)
    expect(await usersOf(directoryId)).toHaveLength(1)
  })

  it('discovers again when the connection changes: a new client secret is used at once', async () => {
    const { tenant } = await store()
    idp.users.set('dave', { ...ALICE, password: 'dave-at-corp', email: 'dave@corp.example' })
    const { directoryId, clientId, redirectUri } = await connectOidc(gw, tenant, idp)
    expect((await signInAtCompany(tenant, directoryId, 'dave')).answer.res.status).toBe(303)

    // The company rotates the secret; the admin stores the new one.
    const secret = 'rotated-secret-0123456789'
    idp.addClient({ clientId, clientSecret: secret, redirectUri, method: 'client_secret_basic' })
    await gw.db
      .updateTable('directories')
      .set({
        secret_sealed: seal(gw.config.secretKey, 'oidc-client-secret', secret),
        updated_at: new Date(),
      })
      .where('id', '=', directoryId)
      .execute()
    expect((await signInAtCompany(tenant, directoryId, 'dave')).answer.res.status).toBe(303)
  })

  it('asks userinfo for the mapped claims the ID token lacks (OIDC Core 5.3)', async () => {
    const { tenant } = await store()
    const { directoryId } = await connectOidc(gw, tenant, hostile, {
      scenario: { claims: { email: undefined, groups: undefined } },
    })
    const calls = hostile.userinfoCalls
    const browser = ssoBrowser()
    const back = await browser.follow(startUrl(tenant, directoryId), { until: atCallback })
    expect((await browser.request(back.next!)).res.status).toBe(303)
    expect(hostile.userinfoCalls).toBe(calls + 1)
    expect((await usersOf(directoryId))[0]).toMatchObject({ email: 'erin@corp.example' })
    // The stand-in's ID token carries no amr: the session says `ext` (an external IdP).
    expect((await sessionsOf(tenant))[0]?.amr).toEqual(['ext'])
  })
})

describe('reaching the IdP', () => {
  const causes = (err: unknown): string[] =>
    err instanceof Error ? [err.message, ...causes(err.cause)] : []

  it('ends a sign-in whose IdP cannot be reached in a page, with nothing stored', async () => {
    const { tenant } = await store()
    const unreachable = { issuer: 'http://127.0.0.1:9', addClient: () => {} }
    const { directoryId } = await connectOidc(gw, tenant, unreachable)
    const answer = await ssoBrowser().request(startUrl(tenant, directoryId))
    expect(answer.res.status).toBe(503)
    expect(answer.res.headers.get('content-type')).toMatch(/^text\/html/)
    const requests = await gw.db
      .selectFrom('sso_requests')
      .select('id')
      .where('directory_id', '=', directoryId)
      .execute()
    expect(requests).toEqual([])
  })

  it('outside development, refuses an issuer on http or on a loopback address (issue 10, SSRF)', async () => {
    const { tenant } = await store()
    const production = { ...ssoContextOf(gw.db, gw.config), development: false }
    const cases = [
      [idp.issuer, /only requests to HTTPS are allowed/], // openid-client, before any fetch
      [idp.issuer.replace('http:', 'https:'), /must not point to a loopback/], // fetch.ts
    ] as const
    for (const [issuer, why] of cases) {
      const { directoryId } = await connectOidc(gw, tenant, { issuer, addClient: () => {} })
      const directory = await findEnterpriseDirectory(gw.db, tenant.id, directoryId)
      if (directory?.kind !== 'oidc') throw new Error('not an OIDC directory')
      const start = { returnTo: '/' }
      const input = { tenant, directory, host: tenant.primaryHost, start, browser: 'b'.repeat(43) }
      const refused = await beginOidcSignIn(production, input).catch((err: unknown) => err)
      expect(refused).toMatchObject({ code: 'unavailable' })
      expect(causes(refused).join(' | ')).toMatch(why)
    }
  })
})

describe('checking a connection (POST …/directories/{id}/test)', () => {
  const check = async (tenant: Tenant, directoryId: string) => {
    const directory = await findEnterpriseDirectory(gw.db, tenant.id, directoryId)
    if (directory?.kind !== 'oidc') throw new Error('not an OIDC directory')
    const found = await checkOidcDirectory(ssoContextOf(gw.db, gw.config), { tenant, directory })
    return Object.fromEntries(found.map((c) => [c.check, c]))
  }

  it('finds nothing wrong with the company IdP', async () => {
    const { tenant } = await store()
    const { directoryId } = await connectOidc(gw, tenant, idp)
    const found = await check(tenant, directoryId)
    expect(Object.keys(found)).toEqual([
      'discovery',
      'issuer',
      'algorithm',
      'keys',
      'client authentication',
      'clock',
    ])
    expect(Object.values(found).filter((c) => !c.ok)).toEqual([])
    expect(found.algorithm?.message).toMatch(/RS256/)
  })

  it('says in plain words when the issuer, the clock or the client authentication is wrong', async () => {
    const { tenant } = await store()
    const { directoryId } = await connectOidc(gw, tenant, hostile)
    await gw.db
      .updateTable('directories')
      .set({
        config: JSON.stringify({
          ...(await findEnterpriseDirectory(gw.db, tenant.id, directoryId))!.config,
          issuer: `${hostile.issuer}/elsewhere`,
        }),
        updated_at: new Date(),
      })
      .where('id', '=', directoryId)
      .execute()
    hostile.clockOffsetSeconds = 3600
    try {
      const found = await check(tenant, directoryId)
      expect(found.issuer).toMatchObject({ ok: false })
      expect(found.issuer?.message).toContain(
        `names itself ${hostile.issuer}, not ${hostile.issuer}/elsewhere`,
      )
      expect(found.clock).toMatchObject({ ok: false })
      expect(found.clock?.message).toMatch(/clock is 3[56]\d\d s ahead of the gateway's/)
      expect(found.keys).toMatchObject({ ok: true })
    } finally {
      hostile.clockOffsetSeconds = 0
    }
  })

  it('says so when the IdP cannot be reached', async () => {
    const { tenant } = await store()
    const unreachable = { issuer: 'http://127.0.0.1:9/', addClient: () => {} }
    const { directoryId } = await connectOidc(gw, tenant, unreachable)
    const found = await check(tenant, directoryId)
    expect(found.discovery).toMatchObject({ ok: false })
    expect(found.discovery?.message).toMatch(/could not read the IdP's discovery document/)
  })
})
