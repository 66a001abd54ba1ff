import { describe, expect, it } from 'vitest'
import { tenantWithKey } from '../support/admin-api.js'
import { selfSignedCertificate } from '../support/certificates.js'
import {
  CLIENT_SECRET,
  oidcInput,
  samlInput,
  storedClientSecret,
  useMetadataServer,
} from '../support/directory-inputs.js'
import { useGateway } from '../support/harness.js'
import { idpMetadataXml, testIdp } from '../support/idp-metadata.js'

// Issue 10, "Directories in the admin API": create, read, change, delete and test SAML 2.0 and
// OpenID Connect directories; what IT copies into the IdP; hosts bound to a directory.

const gw = useGateway()
const metadata = await useMetadataServer()

const DAY_MS = 86_400_000
const uniqueHost = (label: string) =>
  `${label}-${Math.random().toString(36).slice(2, 10)}.corp.example`

describe('SAML directories', () => {
  it('are created from metadata XML: 201 with the id and what IT copies (SP entity ID, ACS, metadata URL)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const cert = selfSignedCertificate({ commonName: 'Corp signing' })
    const xml = idpMetadataXml({
      entityId: 'https://sts.corp.example/abc/',
      signing: [cert.base64],
    })
    const res = await api('post', '/directories').send(
      samlInput({ metadataXml: xml, emailDomains: ['Corp.Example'] }),
    )
    expect(res.status).toBe(201)
    const id = res.body.id as string
    const home = `http://${tenant.slug}.localhost:3000/sso/saml/${id}`
    expect(res.body).toMatchObject({
      kind: 'saml',
      name: 'Corp Entra ID',
      host: null,
      emailDomains: ['corp.example'],
      allowIdpInitiated: false,
      attributeMapping: { email: 'email', firstName: 'firstName' },
      sp: { entityId: `${home}/metadata`, acsUrl: `${home}/acs`, metadataUrl: `${home}/metadata` },
      idp: {
        entityId: 'https://sts.corp.example/abc/',
        ssoUrl: 'https://idp.corp.example/sso',
        certificates: [
          {
            subject: 'CN=Corp signing',
            fingerprintSha256: cert.fingerprint256,
            notAfter: expect.any(String),
            expired: false,
          },
        ],
      },
    })
    expect(res.body).not.toHaveProperty('metadataXml')

    const one = await api('get', `/directories/${id}`)
    expect(one.status).toBe(200)
    expect(one.body).toEqual(res.body)
    const list = await api('get', '/directories')
    expect(list.body.directories).toEqual([res.body])
  })

  it('are created from a metadata URL (development: http on 127.0.0.1), which is kept for the daily refresh', async () => {
    const { api } = await tenantWithKey(gw)
    const { xml, certificate } = testIdp({ entityId: 'https://idp.from-url.example' })
    metadata.serve(xml)
    const res = await api('post', '/directories').send(
      samlInput({ metadataXml: undefined, metadataUrl: metadata.url }),
    )
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      metadataUrl: metadata.url,
      idp: {
        entityId: 'https://idp.from-url.example',
        fetchedAt: expect.any(String),
        certificates: [{ fingerprintSha256: certificate.fingerprint256 }],
      },
    })
  })

  it('answer a metadata URL that does not answer 200 with 400 naming metadataUrl', async () => {
    const { api } = await tenantWithKey(gw)
    metadata.serve(404)
    const res = await api('post', '/directories').send(
      samlInput({ metadataXml: undefined, metadataUrl: metadata.url }),
    )
    expect(res.status).toBe(400)
    expect(res.body.details.fields.metadataUrl[0]).toContain('HTTP 404')
  })

  it("with a host: the host becomes the tenant's, dedicated to the directory, and the SP URLs live on it", async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const host = uniqueHost('store')
    const res = await api('post', '/directories').send(samlInput({ host: host.toUpperCase() }))
    expect(res.status).toBe(201)
    expect(res.body.host).toBe(host)
    expect(res.body.sp.acsUrl).toBe(`http://${host}:3000/sso/saml/${res.body.id}/acs`)
    expect(res.body.sp.acsUrls).toEqual([
      `http://${host}:3000/sso/saml/${res.body.id}/acs`,
      `http://${tenant.slug}.localhost:3000/sso/saml/${res.body.id}/acs`,
    ])
    const resolved = await gw.get(host, '/login')
    expect(resolved.status).not.toBe(404)
  })

  it('refuse a host another tenant owns (409) and a host reserved for another slug (400)', async () => {
    const other = await tenantWithKey(gw)
    const host = uniqueHost('taken')
    expect((await other.api('post', '/hosts').send({ host })).status).toBe(201)
    const { api } = await tenantWithKey(gw)
    const taken = await api('post', '/directories').send(samlInput({ host }))
    expect(taken.status).toBe(409)
    expect(taken.body).toMatchObject({ error: 'conflict', details: { field: 'host', host } })
    const reserved = await api('post', '/directories').send(
      samlInput({ host: `${other.tenant.slug}.localhost` }),
    )
    expect(reserved.status).toBe(400)
    expect(reserved.body.message).toContain(`reserved for the tenant "${other.tenant.slug}"`)
    expect((await api('get', '/directories')).body.directories).toEqual([])
  })

  it("keep email domains unique among the tenant's directories (409 naming the domain)", async () => {
    const { api } = await tenantWithKey(gw)
    expect(
      (await api('post', '/directories').send(samlInput({ emailDomains: ['corp.example'] })))
        .status,
    ).toBe(201)
    const again = await api('post', '/directories').send(
      oidcInput({ emailDomains: ['other.example', 'CORP.example'] }),
    )
    expect(again.status).toBe(409)
    expect(again.body.message).toContain('"corp.example"')
    expect(again.body.details).toMatchObject({ field: 'emailDomains', domain: 'corp.example' })
  })

  it('change in part: a new metadataXml is read again, other fields stay', async () => {
    const { api } = await tenantWithKey(gw)
    const created = (
      await api('post', '/directories').send(samlInput({ emailDomains: ['a.example'] }))
    ).body
    const rolled = [selfSignedCertificate(), selfSignedCertificate()]
    const patched = await api('patch', `/directories/${created.id}`).send({
      name: 'Renamed',
      metadataXml: idpMetadataXml({ signing: rolled.map((c) => c.base64) }),
      allowIdpInitiated: true,
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({
      name: 'Renamed',
      allowIdpInitiated: true,
      emailDomains: ['a.example'],
      sp: created.sp,
    })
    expect(
      patched.body.idp.certificates.map((c: { fingerprintSha256: string }) => c.fingerprintSha256),
    ).toEqual(rolled.map((c) => c.fingerprint256))
    const bad = await api('patch', `/directories/${created.id}`).send({ kind: 'oidc' })
    expect(bad.status).toBe(400)
  })

  it('switch their metadata source: a metadataUrl is kept for the refresh, uploaded XML ends it', async () => {
    const { api } = await tenantWithKey(gw)
    const created = (await api('post', '/directories').send(samlInput())).body
    metadata.serve(idpMetadataXml({ entityId: 'https://idp.switched.example' }))
    const toUrl = await api('patch', `/directories/${created.id}`).send({
      metadataUrl: metadata.url,
    })
    expect(toUrl.body).toMatchObject({
      metadataUrl: metadata.url,
      idp: { entityId: 'https://idp.switched.example' },
    })
    const renamed = await api('patch', `/directories/${created.id}`).send({ name: 'Still by URL' })
    expect(renamed.body).toMatchObject({ name: 'Still by URL', metadataUrl: metadata.url })
    const row = await gw.db
      .selectFrom('directories')
      .select('config')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow()
    expect(row.config).not.toHaveProperty('name')
    const toXml = await api('patch', `/directories/${created.id}`).send({
      metadataXml: idpMetadataXml(),
    })
    expect(toXml.body).not.toHaveProperty('metadataUrl')
    expect(toXml.body.idp.entityId).toBe('https://idp.corp.example/metadata')
  })

  it('keep email domains unique when changed too (409)', async () => {
    const { api } = await tenantWithKey(gw)
    await api('post', '/directories').send(samlInput({ emailDomains: ['one.example'] }))
    const second = (
      await api('post', '/directories').send(oidcInput({ emailDomains: ['two.example'] }))
    ).body
    const res = await api('patch', `/directories/${second.id}`).send({
      emailDomains: ['two.example', 'one.example'],
    })
    expect(res.status).toBe(409)
    expect((await api('get', `/directories/${second.id}`)).body.emailDomains).toEqual([
      'two.example',
    ])
    const own = await api('patch', `/directories/${second.id}`).send({
      emailDomains: ['two.example', 'three.example'],
    })
    expect(own.status).toBe(200)
  })

  it('move to another host and back to none: the old dedicated host leaves the tenant', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [first, second] = [uniqueHost('one'), uniqueHost('two')]
    const created = (await api('post', '/directories').send(samlInput({ host: first }))).body
    const moved = await api('patch', `/directories/${created.id}`).send({ host: second })
    expect(moved.status).toBe(200)
    expect(moved.body.sp.entityId).toBe(`http://${second}:3000/sso/saml/${created.id}/metadata`)
    expect((await gw.get(first, '/login')).status).toBe(404)
    const none = await api('patch', `/directories/${created.id}`).send({ host: null })
    expect(none.body).toMatchObject({ host: null })
    expect(none.body.sp.entityId).toContain(`//${tenant.slug}.localhost:3000/`)
    expect((await gw.get(second, '/login')).status).toBe(404)
  })

  it('are tested: certificates (expired, expiring), the SSO URL and the metadata URL, in plain words', async () => {
    const { api } = await tenantWithKey(gw)
    const expired = selfSignedCertificate({
      commonName: 'Old',
      notBefore: new Date(Date.now() - 400 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    })
    const expiring = selfSignedCertificate({
      commonName: 'Soon',
      notAfter: new Date(Date.now() + 10 * DAY_MS),
    })
    const xml = idpMetadataXml({ signing: [expired.base64, expiring.base64] })
    metadata.serve(xml)
    const created = (
      await api('post', '/directories').send(
        samlInput({ metadataXml: undefined, metadataUrl: metadata.url }),
      )
    ).body
    expect(created.idp.certificates.map((c: { expired: boolean }) => c.expired)).toEqual([
      true,
      false,
    ])

    const res = await api('post', `/directories/${created.id}/test`)
    expect(res.status).toBe(200)
    expect(res.body.ok).toBe(false)
    const checks = res.body.checks as { check: string; ok: boolean; message: string }[]
    for (const c of checks)
      expect(c).toEqual({
        check: expect.any(String),
        ok: expect.any(Boolean),
        message: expect.any(String),
      })
    expect(checks.find((c) => c.check === 'metadata_url')).toMatchObject({ ok: true })
    expect(checks.find((c) => c.check === 'idp_sso_url')).toMatchObject({ ok: true })
    const certs = checks.filter((c) => c.check === 'idp_certificate')
    expect(certs).toEqual([
      expect.objectContaining({ ok: false, message: expect.stringContaining('"CN=Old"') }),
      expect.objectContaining({
        ok: false,
        message: expect.stringMatching(/"CN=Soon".* expires in (9|10) days/),
      }),
    ])
    expect(certs[0]?.message).toContain('expired on')

    metadata.serve(500)
    const down = await api('post', `/directories/${created.id}/test`)
    expect(
      down.body.checks.find((c: { check: string }) => c.check === 'metadata_url'),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining('HTTP 500'),
    })
  })
})

describe('SAML SP keys', () => {
  const signingCertificates = async (host: string, id: string) => {
    const res = await gw.get(host, `/sso/saml/${id}/metadata`)
    return [...res.text.matchAll(/<md:KeyDescriptor use="signing">/g)].length
  }

  it('rotate with overlap: staged (published, not signing), then promoted (the old one still published)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const created = await api('post', '/directories').send(samlInput())
    const id = created.body.id as string
    const host = `${tenant.slug}.localhost`
    expect(await signingCertificates(host, id)).toBe(1)

    const staged = await api('post', `/directories/${id}/sp-keys/rotate`)
    expect(staged.status).toBe(200)
    expect(staged.body).toMatchObject({ step: 'staged', kid: expect.any(String) })
    expect(staged.body.keys.map((k: { state: string }) => k.state).sort()).toEqual([
      'active',
      'next',
    ])
    expect(await signingCertificates(host, id)).toBe(2)

    const promoted = await api('post', `/directories/${id}/sp-keys/rotate`)
    expect(promoted.body).toMatchObject({ step: 'promoted', kid: staged.body.kid })
    const states = Object.fromEntries(
      promoted.body.keys.map((k: { kid: string; state: string }) => [k.kid, k.state]),
    )
    expect(states[staged.body.kid]).toBe('active')
    expect(Object.values(states).sort()).toEqual(['active', 'retired'])
    expect(await signingCertificates(host, id)).toBe(2)
  })

  it("are only a SAML directory's, of this tenant (404 otherwise)", async () => {
    const a = await tenantWithKey(gw)
    const b = await tenantWithKey(gw)
    const saml = await a.api('post', '/directories').send(samlInput())
    const oidc = await a.api('post', '/directories').send(oidcInput())
    expect((await b.api('post', `/directories/${saml.body.id}/sp-keys/rotate`)).status).toBe(404)
    expect((await a.api('post', `/directories/${oidc.body.id}/sp-keys/rotate`)).status).toBe(404)
  })
})

describe('OpenID Connect directories', () => {
  it('are created: 201 with rp.redirectUri, a redirect URI per host, and the client secret sealed', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const host = uniqueHost('sso')
    expect((await api('post', '/hosts').send({ host: uniqueHost('extra') })).status).toBe(201)
    const res = await api('post', '/directories').send(
      oidcInput({ host, scopes: ['openid', 'email'] }),
    )
    expect(res.status).toBe(201)
    const id = res.body.id as string
    expect(res.body).toMatchObject({
      kind: 'oidc',
      issuer: 'https://corp.okta.example',
      clientId: 'gateway-client',
      hasClientSecret: true,
      tokenEndpointAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'email'],
      rp: { redirectUri: `http://${host}:3000/sso/oidc/${id}/callback` },
    })
    expect(res.body.rp.redirectUris).toHaveLength(3)
    expect(res.body.rp.redirectUris).toContain(
      `http://${tenant.slug}.localhost:3000/sso/oidc/${id}/callback`,
    )
    expect(JSON.stringify(res.body)).not.toContain(CLIENT_SECRET)
    expect(await storedClientSecret(gw.db, gw.config.secretKey, id)).toBe(CLIENT_SECRET)
  })

  it('take a new client secret by PATCH, sealed again', async () => {
    const { api } = await tenantWithKey(gw)
    const created = (await api('post', '/directories').send(oidcInput())).body
    const res = await api('patch', `/directories/${created.id}`).send({
      clientSecret: 'the-new-secret-xyz',
      scopes: ['openid'],
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      hasClientSecret: true,
      scopes: ['openid'],
      clientId: 'gateway-client',
    })
    expect(await storedClientSecret(gw.db, gw.config.secretKey, created.id)).toBe(
      'the-new-secret-xyz',
    )
  })

  it('are tested: the answer has the {ok, checks} shape', async () => {
    const { api } = await tenantWithKey(gw)
    const created = (
      await api('post', '/directories').send(oidcInput({ issuer: 'http://127.0.0.1:9/' }))
    ).body
    const res = await api('post', `/directories/${created.id}/test`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      ok: expect.any(Boolean),
      checks: expect.arrayContaining([
        { check: expect.any(String), ok: expect.any(Boolean), message: expect.any(String) },
      ]),
    })
  })
})

describe('deleting a directory', () => {
  it("removes it, its dedicated host, and its users' memberships and sessions in the tenant", async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const host = uniqueHost('gone')
    const created = (await api('post', '/directories').send(samlInput({ host }))).body
    const user = await gw.db
      .insertInto('users')
      .values({
        directory_id: created.id,
        email: 'ada@corp.example',
        email_key: 'ada@corp.example',
        subject: 'ada',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const membership = await gw.db
      .insertInto('memberships')
      .values({
        tenant_id: tenant.id,
        directory_id: created.id,
        user_id: user.id,
        status: 'active',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await gw.db
      .insertInto('sessions')
      .values({
        id_hash: Buffer.from(created.id),
        tenant_id: tenant.id,
        membership_id: membership.id,
        pending: null,
        expires_at: new Date(Date.now() + DAY_MS),
      })
      .execute()

    expect((await api('delete', `/directories/${created.id}`)).status).toBe(204)
    expect((await api('get', `/directories/${created.id}`)).status).toBe(404)
    expect((await gw.get(host, '/login')).status).toBe(404)
    const left = await Promise.all(
      (['users', 'memberships', 'sessions'] as const).map((table) =>
        gw.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(
            table === 'users' ? 'directory_id' : 'tenant_id',
            '=',
            table === 'users' ? created.id : tenant.id,
          )
          .executeTakeFirstOrThrow(),
      ),
    )
    expect(left.map((r) => Number(r.n))).toEqual([0, 0, 0])
    expect((await api('delete', `/directories/${created.id}`)).status).toBe(404)
  })

  it("is refused (409) while it is the tenant's only directory: nobody could sign in", async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const created = (await api('post', '/directories').send(samlInput())).body
    await gw.db
      .deleteFrom('tenant_directories')
      .where('tenant_id', '=', tenant.id)
      .where('directory_id', '=', tenant.databaseDirectoryId!)
      .execute()
    const res = await api('delete', `/directories/${created.id}`)
    expect(res.status).toBe(409)
    expect(res.body.message).toContain('only directory')
    expect((await api('get', `/directories/${created.id}`)).status).toBe(200)
  })
})

describe('tenant hosts after creation', () => {
  it('are added, bound to a directory or not, and removed', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [plain, dedicated] = [uniqueHost('plain'), uniqueHost('dedicated')]
    const directory = (await api('post', '/directories').send(oidcInput())).body
    const added = await api('post', '/hosts').send({ host: plain })
    expect(added.status).toBe(201)
    expect(added.body.hosts).toContainEqual({ host: plain, primary: false, directory: null })
    const bound = await api('post', '/hosts').send({ host: dedicated, directory: directory.id })
    expect(bound.body.hosts).toContainEqual({
      host: dedicated,
      primary: false,
      directory: directory.id,
    })
    expect((await api('get', `/directories/${directory.id}`)).body.host).toBe(dedicated)

    const second = await api('post', '/hosts').send({
      host: uniqueHost('again'),
      directory: directory.id,
    })
    expect(second.status).toBe(409)
    expect(second.body.message).toContain(`already has the host "${dedicated}"`)
    expect((await api('post', '/hosts').send({ host: plain })).status).toBe(409)

    expect((await api('delete', `/hosts/${plain}`)).status).toBe(204)
    expect((await gw.get(plain, '/login')).status).toBe(404)
    const dedicatedGone = await api('delete', `/hosts/${dedicated}`)
    expect(dedicatedGone.status).toBe(409)
    expect(dedicatedGone.body.message).toContain("change the directory's host")
    const builtIn = await api('delete', `/hosts/${tenant.slug}.localhost`)
    expect(builtIn.status).toBe(409)
    expect(builtIn.body.message).toContain('built-in host')
    expect((await api('delete', '/hosts/nowhere.example')).status).toBe(404)
  })

  it('never lose the primary host, and say why', async () => {
    const primary = uniqueHost('primary')
    const { api } = await tenantWithKey(gw, { hosts: [primary] })
    const res = await api('delete', `/hosts/${primary}`)
    expect(res.status).toBe(409)
    expect(res.body.message).toContain('primary host')
    expect(res.body.message).toContain('issuer')
  })

  it("refuse a host directory that is not one of the tenant's enterprise directories (404)", async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const res = await api('post', '/hosts').send({
      host: uniqueHost('x'),
      directory: tenant.databaseDirectoryId,
    })
    expect(res.status).toBe(404)
  })
})
