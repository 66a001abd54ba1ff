import { createRemoteJWKSet, customFetch, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { samlUrls } from '../../src/sso/connection.js'
import { rotateSpKey } from '../../src/sso/sp-keys.js'
import { getTenant } from '../../src/tenants/tenants.js'
import {
  authorizationRequest,
  exchangeCode,
  httpBrowser,
  REDIRECT,
  relyingParty,
  tenantFetch,
  useOidcGateway,
} from '../support/oidc.js'
import { createIdp, PERSON, spCertificatesOf } from '../support/saml-idp.js'
import { samlHelpers } from '../support/saml-sign-in.js'

// Issue 10, SAML service provider: SP-initiated sign-in with a real IdP (test/support/saml-idp.ts),
// then an app of the tenant signs the person in at the tenant's OpenID Provider (openid-client,
// code + PKCE) and checks the tokens with jose. The gateway listens: the clients use the network.
const gw = await useOidcGateway()
const idp = createIdp()
const { samlStore, startSignIn, continued } = samlHelpers(gw, idp)

const userOf = (directoryId: string) =>
  gw.db.selectFrom('users').selectAll().where('directory_id', '=', directoryId).execute()

/** A metadata document publishing only `certificates` as signing keys, as an IdP may cache it. */
const metadataWith = (certificates: string[]) =>
  `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${certificates
    .map(
      (c) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${c.replace(/-----[A-Z ]+-----|\s/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('')}</md:EntityDescriptor>`

describe('SAML sign-in, then an app of the tenant', () => {
  /** An app's sign-in that goes through the company IdP; the tokens the app gets. */
  async function appSignIn(s: Awaited<ReturnType<typeof samlStore>>, person = PERSON) {
    const { config } = await relyingParty(gw, s.tenant)
    const browser = httpBrowser()
    const request = await authorizationRequest(config, { scope: 'openid email profile' })
    const login = await browser.follow(request.url)
    expect(login.url.pathname).toBe('/login')
    // The login page's company sign-in: /sso/:id/start, back to the app's waiting sign-in.
    const returnTo = login.url.searchParams.get('return_to')!
    const start = new URL(`/sso/${s.directory.id}/start`, s.tenant.publicUrl)
    start.searchParams.set('return_to', returnTo)
    const atIdp = await browser.follow(start)
    expect(atIdp.url.origin).toBe(new URL(idp.ssoUrl).origin)
    const metadata = await browser.request(new URL(`/sso/saml/${s.directory.id}/metadata`, start))
    const authn = idp.readRequest(atIdp.url.href, await metadata.text())
    expect(authn.acsUrl).toBe(samlUrls(s.tenant, s.directory, s.host).acsUrl)
    const SAMLResponse = idp.response({
      ...person,
      inResponseTo: authn.id,
      acsUrl: authn.acsUrl,
      audience: authn.issuer,
    })
    // The ACS answers with its continue step on the same host, followed in the same browser.
    const back = await browser.follow(authn.acsUrl, { form: { SAMLResponse } })
    expect(back.url.href.startsWith(REDIRECT), back.url.href).toBe(true)
    const tokens = await exchangeCode(config, back.url, request)
    return { config, tokens }
  }

  it('signs in SP-initiated (signed AuthnRequest, HTTP-Redirect), then code + PKCE at the OpenID Provider', async () => {
    const s = await samlStore()
    const { config, tokens } = await appSignIn(s)

    const jwks = createRemoteJWKSet(new URL(`${s.tenant.publicUrl}/jwks`), {
      [customFetch]: tenantFetch,
    })
    const id = await jwtVerify(tokens.id_token!, jwks, {
      issuer: s.tenant.publicUrl,
      audience: config.clientMetadata().client_id,
    })
    expect(id.payload['email']).toBe('ada@corp.example')
    const access = await jwtVerify(tokens.access_token, jwks, {
      issuer: s.tenant.publicUrl,
      audience: `${s.tenant.publicUrl}/api`,
      typ: 'at+jwt',
    })
    // The directory's group mapping: Sales -> role admin and the group "Sales team".
    expect(access.payload).toMatchObject({
      sub: id.payload.sub,
      email: 'ada@corp.example',
      roles: ['admin'],
      groups: ['Everybody', 'Sales team'],
    })
    const [user] = await userOf(s.directory.id)
    expect(user).toMatchObject({ subject: 'ada@corp.example', first_name: 'Ada' })
    const sessions = await gw.db
      .selectFrom('sessions')
      .select('amr')
      .where('tenant_id', '=', s.tenant.id)
      .execute()
    expect(sessions.map((x) => x.amr)).toEqual([['ext', 'pwd']])
  })

  it('makes the user just in time once, and refreshes them at the next sign-in', async () => {
    const s = await samlStore()
    const first = await appSignIn(s)
    const changed = {
      nameId: PERSON.nameId,
      attributes: { email: 'ada@corp.example', firstName: 'Ada', lastName: 'King', groups: [] },
    }
    const second = await appSignIn(s, changed)
    expect(second.tokens.claims()!.sub).toBe(first.tokens.claims()!.sub)
    const users = await userOf(s.directory.id)
    expect(users).toHaveLength(1)
    expect(users[0]).toMatchObject({ last_name: 'King' })
    const membership = await gw.db
      .selectFrom('memberships')
      .select(['role', 'groups'])
      .where('user_id', '=', users[0]!.id)
      .executeTakeFirstOrThrow()
    expect(membership).toEqual({ role: 'user', groups: ['Everybody'] })
  })
})

describe('the SAML service provider of a directory', () => {
  it('publishes SP metadata: entity ID, signed requests, signed assertions, keys, an ACS per host', async () => {
    const s = await samlStore()
    const second = `shop-${s.tenant.slug}.localhost`
    await gw.db
      .insertInto('tenant_hosts')
      .values({ host: second, tenant_id: s.tenant.id, is_primary: false })
      .execute()
    const tenant = await getTenant(gw.db, s.tenant.slug, gw.config)
    const res = await httpBrowser().request(
      new URL(`/sso/saml/${s.directory.id}/metadata`, tenant.publicUrl),
    )
    expect(res.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/)
    const xml = await res.text()
    const urls = samlUrls(tenant, s.directory)
    expect(xml).toContain(`entityID="${urls.entityId}"`)
    expect(xml).toContain('AuthnRequestsSigned="true" WantAssertionsSigned="true"')
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>')
    const certs = spCertificatesOf(xml)
    expect(certs.signing).toHaveLength(1)
    expect(certs.encryption).toEqual(certs.signing)
    for (const host of [s.host, second])
      expect(xml).toContain(
        `Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${samlUrls(tenant, s.directory, host).acsUrl}"`,
      )
    // A sign-in started on the second host names that host's ACS.
    const b = samlHelpers(gw, idp).browser(second)
    const started = await startSignIn({ ...s, tenant, host: second }, { browser: b })
    expect(started.request.acsUrl).toBe(samlUrls(tenant, s.directory, second).acsUrl)
    expect(started.request.issuer).toBe(urls.entityId)
    const stored = await gw.db
      .selectFrom('sso_requests')
      .select(['expires_at', 'created_at', 'data'])
      .where('id', '=', started.request.id)
      .executeTakeFirstOrThrow()
    expect(stored.data).toMatchObject({ host: second, acsUrl: started.request.acsUrl })
    expect(stored.expires_at.getTime() - stored.created_at.getTime()).toBeLessThanOrEqual(600_000)
  })

  it('rotates its SP key with overlap (OIDC Core 10.1.1 likewise: publish a new key before using it)', async () => {
    const s = await samlStore()
    const ctx = { db: gw.db, secretKey: gw.config.secretKey }
    const before = await startSignIn(s)
    const [old] = spCertificatesOf(before.metadata).signing
    expect((await rotateSpKey(ctx, s.directory.id)).step).toBe('staged')
    const staged = await startSignIn(s)
    const published = spCertificatesOf(staged.metadata)
    expect(published.signing).toHaveLength(2)
    expect(published.encryption).toEqual([old])
    const next = published.signing.find((c) => c !== old)!
    // Published, not signing yet: an IdP that knows only the old certificate still accepts.
    expect(() => idp.readRequest(staged.location, metadataWith([old!]))).not.toThrow()

    expect((await rotateSpKey(ctx, s.directory.id)).step).toBe('promoted')
    const promoted = await startSignIn(s)
    expect(() => idp.readRequest(promoted.location, metadataWith([next]))).not.toThrow()
    expect(() => idp.readRequest(promoted.location, metadataWith([old!]))).toThrow()
    // The retired key stays published, and opens what an IdP still encrypts for it.
    expect(spCertificatesOf(promoted.metadata).signing.sort()).toEqual([old, next].sort())
    expect(spCertificatesOf(promoted.metadata).encryption).toEqual([next])
    const res = await promoted.finish(idp.response({ ...promoted.reply, encryptFor: old }))
    expect(res.status).toBe(303)
    expect(await userOf(s.directory.id)).toHaveLength(1)
  })

  it('accepts an assertion the IdP encrypted for our published encryption certificate', async () => {
    const s = await samlStore()
    const { reply, metadata, finish } = await startSignIn(s)
    const encryptFor = spCertificatesOf(metadata).encryption[0]!
    const res = await finish(idp.response({ ...reply, encryptFor, signResponse: true }))
    expect(res.status).toBe(303)
    expect(await userOf(s.directory.id)).toHaveLength(1)
  })

  it('accepts any of several IdP signing certificates (an IdP rolling its certificate over)', async () => {
    const rolled = createIdp({ entityId: idp.entityId })
    const trust = { ...idp, certificates: [idp.certificate, rolled.certificate] }
    const s = await samlStore({ trust })
    for (const signer of [idp, rolled]) {
      const { reply, finish } = await startSignIn(s)
      expect((await finish(signer.response(reply))).status).toBe(303)
    }
    expect(await userOf(s.directory.id)).toHaveLength(1)
  })

  it('lets IdP-initiated sign-ins in when the directory allows them, to a local RelayState only', async () => {
    const s = await samlStore({ allowIdpInitiated: true })
    const { b, reply } = await startSignIn(s)
    const unsolicited = async (RelayState: string) =>
      continued(
        b,
        await b.post(s.acsPath, {
          SAMLResponse: idp.response({ ...reply, inResponseTo: null }),
          RelayState,
        }),
      )
    const home = await unsolicited('/welcome?from=idp')
    expect(home.status).toBe(303)
    expect(home.headers['location']).toBe('/welcome?from=idp')
    const away = await unsolicited('https://evil.example/')
    expect(away.headers['location']).toBe('/')
  })
})
