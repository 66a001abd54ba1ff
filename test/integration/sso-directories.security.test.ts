import supertest from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import { tenantWithKey } from '../support/admin-api.js'
import {
  CLIENT_SECRET,
  oidcInput,
  samlInput,
  useMetadataServer,
} from '../support/directory-inputs.js'
import { separateApp, testConfig, useGateway } from '../support/harness.js'
import { idpMetadataXml } from '../support/idp-metadata.js'

// The admin API's directories under attack and misuse: OWASP ASVS 5.0 8.4.1 (cross-tenant
// access), 1.5.1 (XML parsers), V13/V15 (secrets never returned or logged; server-side request
// forgery through a metadata URL or issuer), and every field validated.

const gw = useGateway()
const metadata = await useMetadataServer()

describe("OWASP ASVS 5.0 8.4.1: a tenant key reaches only its own tenant's directories", () => {
  it("answers 404 to tenant B's key for everything of tenant A, by A's slug or B's", async () => {
    const a = await tenantWithKey(gw)
    const b = await tenantWithKey(gw)
    const id = (await a.api('post', '/directories').send(oidcInput())).body.id as string
    const as = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
      supertest(gw.app)
        [method](`/admin/api/v1/tenants/${a.tenant.slug}${path}`)
        .set('Authorization', `Bearer ${b.key}`)

    for (const res of [
      await as('get', '/directories'),
      await as('get', `/directories/${id}`),
      await as('patch', `/directories/${id}`).send({ name: 'Taken over' }),
      await as('delete', `/directories/${id}`),
      await as('post', `/directories/${id}/test`),
      await as('post', '/directories').send(oidcInput()),
      await as('post', '/hosts').send({ host: 'evil.corp.example' }),
      await as('delete', `/hosts/${a.tenant.slug}.localhost`),
      await b.api('get', `/directories/${id}`),
      await b.api('patch', `/directories/${id}`).send({ name: 'Taken over' }),
      await b.api('delete', `/directories/${id}`),
      await b.api('post', `/directories/${id}/test`),
      await b.api('post', '/hosts').send({ host: 'evil2.corp.example', directory: id }),
    ])
      expect(res.status).toBe(404)

    const mine = await a.api('get', `/directories/${id}`)
    expect(mine.body).toMatchObject({ name: 'Corp Okta', host: null })
  })

  it('lets a platform key manage any tenant', async () => {
    const a = await tenantWithKey(gw)
    const { key } = await createApiKey(gw.db, { tenantId: null, name: 'platform' })
    const res = await supertest(gw.app)
      .post(`/admin/api/v1/tenants/${a.tenant.slug}/directories`)
      .set('Authorization', `Bearer ${key}`)
      .send(samlInput())
    expect(res.status).toBe(201)
  })
})

describe('secrets', () => {
  it('never appear in an answer or a log line: create, read, list, change, test, refusals', async () => {
    const { api } = await tenantWithKey(gw)
    const bodies: string[] = []
    const created = await api('post', '/directories').send(oidcInput())
    bodies.push(created.text)
    const id = created.body.id as string
    bodies.push((await api('get', `/directories/${id}`)).text)
    bodies.push((await api('get', '/directories')).text)
    bodies.push(
      (await api('patch', `/directories/${id}`).send({ clientSecret: `${CLIENT_SECRET}-2` })).text,
    )
    bodies.push(
      (
        await api('patch', `/directories/${id}`).send({
          clientSecret: CLIENT_SECRET,
          scopes: ['bad scope'],
        })
      ).text,
    )
    bodies.push((await api('post', '/directories').send(oidcInput({ issuer: 'not a url' }))).text)
    bodies.push((await api('post', `/directories/${id}/test`)).text)
    for (const text of bodies) expect(text).not.toContain(CLIENT_SECRET)
    const logs = JSON.stringify(gw.logs())
    expect(logs).toContain('admin_change')
    expect(logs).not.toContain(CLIENT_SECRET)
  })
})

describe('every change is logged with who made it', () => {
  it('writes one admin_change line per change: the API key, the tenant, the action, the target', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const id = (await api('post', '/directories').send(samlInput())).body.id as string
    await api('patch', `/directories/${id}`).send({ name: 'New name' })
    await api('post', '/hosts').send({ host: `h-${tenant.slug}.corp.example` })
    await api('delete', `/hosts/h-${tenant.slug}.corp.example`)
    await api('delete', `/directories/${id}`)
    await api('get', `/directories`)
    const key = await gw.db
      .selectFrom('api_keys')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow()
    const lines = gw.logs().filter((l) => l.event === 'admin_change' && l.tenant === tenant.slug)
    expect(lines.map((l) => [l.action, l.target])).toEqual([
      ['directory.created', id],
      ['directory.updated', id],
      ['host.added', `h-${tenant.slug}.corp.example`],
      ['host.removed', `h-${tenant.slug}.corp.example`],
      ['directory.deleted', id],
    ])
    for (const l of lines)
      expect(l).toMatchObject({ actor: `api_key:${key.id}`, actorName: 'test' })
  })
})

describe('OWASP ASVS 5.0 1.5.1: XML', () => {
  it('refuses metadataXml with a DOCTYPE (400 naming metadataXml), and creates nothing', async () => {
    const { api } = await tenantWithKey(gw)
    const xml = idpMetadataXml().replace(
      '<md:EntityDescriptor',
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><md:EntityDescriptor',
    )
    const res = await api('post', '/directories').send(samlInput({ metadataXml: xml }))
    expect(res.status).toBe(400)
    expect(res.body.details.fields.metadataXml[0]).toContain('DOCTYPE')
    expect((await api('get', '/directories')).body.directories).toEqual([])
  })

  it('refuses a metadata URL that serves a DOCTYPE (400 naming metadataUrl)', async () => {
    const { api } = await tenantWithKey(gw)
    metadata.serve(
      `<!DOCTYPE x [<!ENTITY a "aaaa">]>${idpMetadataXml().replace(/^<\?xml[^>]*>/, '')}`,
    )
    const res = await api('post', '/directories').send(
      samlInput({ metadataXml: undefined, metadataUrl: metadata.url }),
    )
    expect(res.status).toBe(400)
    expect(res.body.details.fields.metadataUrl[0]).toContain('DOCTYPE')
  })
})

// OWASP ASVS 5.0 V15 / issue 10: "never to loopback or private addresses outside development".
describe('URLs the gateway fetches: a metadata URL or an issuer on 127.0.0.1', () => {
  let production: ReturnType<typeof supertest>
  beforeAll(() => {
    const config = testConfig({ NODE_ENV: 'production' })
    expect(config.isProduction).toBe(true)
    production = supertest(separateApp(gw, { config }))
  })
  const onProduction = async (body: object) => {
    const { tenant, key } = await tenantWithKey(gw)
    return production
      .post(`/admin/api/v1/tenants/${tenant.slug}/directories`)
      .set('Authorization', `Bearer ${key}`)
      .send(body)
  }

  it('is allowed in development', async () => {
    const { api } = await tenantWithKey(gw)
    metadata.serve(idpMetadataXml())
    const res = await api('post', '/directories').send(
      samlInput({ metadataXml: undefined, metadataUrl: metadata.url }),
    )
    expect(res.status).toBe(201)
  })

  it('is refused when the gateway runs in production, before anything is fetched', async () => {
    const before = metadata.hits()
    const https = metadata.url.replace('http:', 'https:')
    for (const [url, problem] of [
      [metadata.url, 'must use https'],
      [https, 'must not point to a loopback, private or link-local address'],
      ['https://localhost/metadata', 'must not point to this machine'],
    ] as const) {
      const res = await onProduction(samlInput({ metadataXml: undefined, metadataUrl: url }))
      expect(res.status).toBe(400)
      expect(res.body.details.fields.metadataUrl[0]).toContain(problem)
    }
    const issuer = await onProduction(oidcInput({ issuer: 'https://127.0.0.1:8443/' }))
    expect(issuer.status).toBe(400)
    expect(issuer.body.details.fields.issuer[0]).toContain('loopback')
    expect(metadata.hits()).toBe(before)
  })

  it('refuses an http IdP sign-on URL in production', async () => {
    const res = await onProduction(
      samlInput({ metadataXml: idpMetadataXml({ ssoUrl: 'http://idp.corp.example/sso' }) }),
    )
    expect(res.status).toBe(400)
    expect(res.body.details.fields.metadataXml[0]).toContain('https')
  })
})

describe('bad input gets 400 with details naming the field', () => {
  const longName = 'x'.repeat(201)
  it.each([
    [samlInput({ name: '' }), 'name'],
    [samlInput({ name: longName }), 'name'],
    [samlInput({ host: 'not a host' }), 'host'],
    [samlInput({ host: '10.0.0.1' }), 'host'],
    [samlInput({ emailDomains: ['not a domain'] }), 'emailDomains.0'],
    [samlInput({ emailDomains: 'corp.example' }), 'emailDomains'],
    [samlInput({ metadataXml: undefined }), 'metadataXml'],
    [samlInput({ metadataUrl: 'https://idp.example/m' }), 'metadataXml'],
    [samlInput({ metadataXml: undefined, metadataUrl: 'ftp://idp.example/m' }), 'metadataUrl'],
    [samlInput({ metadataXml: '<root/>' }), 'metadataXml'],
    [samlInput({ attributeMapping: { email: '' } }), 'attributeMapping.email'],
    [samlInput({ attributeMapping: { mail: 'x' } }), 'attributeMapping'],
    [samlInput({ groupMapping: [{ idpGroup: '' }] }), 'groupMapping.0.idpGroup'],
    [samlInput({ groupMapping: [{ idpGroup: 'g', role: 'a role' }] }), 'groupMapping.0.role'],
    [samlInput({ allowIdpInitiated: 'yes' }), 'allowIdpInitiated'],
    [samlInput({ kind: 'ldap' }), 'kind'],
    [oidcInput({ issuer: 'not a url' }), 'issuer'],
    [oidcInput({ issuer: 'http://login.corp.example' }), undefined],
    [oidcInput({ clientId: '' }), 'clientId'],
    [oidcInput({ clientSecret: '' }), 'clientSecret'],
    [oidcInput({ clientSecret: undefined }), 'clientSecret'],
    [oidcInput({ scopes: ['open id'] }), 'scopes.0'],
    [oidcInput({ tokenEndpointAuthMethod: 'none' }), 'tokenEndpointAuthMethod'],
    [oidcInput({ allowedTenantIds: [''] }), 'allowedTenantIds.0'],
    [oidcInput({ claimMapping: { email: 5 } }), 'claimMapping.email'],
    [oidcInput({ metadataXml: 'x' }), 'form'],
  ])('%j -> %s', async (body, field) => {
    const { api } = await tenantWithKey(gw)
    const res = await api('post', '/directories').send(body)
    if (field === undefined) return expect(res.status).toBe(201) // http issuer: development allows it
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_request')
    if (field === 'form') expect(res.body.details.form.join(' ')).toContain('metadataXml')
    else expect(Object.keys(res.body.details.fields)).toContain(field)
  })

  it.each([
    [{ name: '' }, 'name'],
    [{ metadataXml: 'x', metadataUrl: 'https://idp.example/m' }, 'metadataXml'],
    [{ host: 'bad host' }, 'host'],
    [{ clientSecret: 'x' }, 'form'],
  ])('PATCH %j of a SAML directory -> %s', async (patch, field) => {
    const { api } = await tenantWithKey(gw)
    const id = (await api('post', '/directories').send(samlInput())).body.id as string
    const res = await api('patch', `/directories/${id}`).send(patch)
    expect(res.status).toBe(400)
    if (field === 'form') expect(res.body.details.form.join(' ')).toContain('clientSecret')
    else expect(Object.keys(res.body.details.fields)).toContain(field)
  })

  it('answers an id that is not a UUID with 404', async () => {
    const { api } = await tenantWithKey(gw)
    expect((await api('get', '/directories/not-a-uuid')).status).toBe(404)
    expect((await api('patch', '/directories/not-a-uuid').send({})).status).toBe(404)
    expect((await api('post', '/directories/not-a-uuid/test')).status).toBe(404)
  })

  it('refuses a bad host in POST /hosts naming the field', async () => {
    const { api } = await tenantWithKey(gw)
    const res = await api('post', '/hosts').send({ host: 'not a host', directory: 'x' })
    expect(res.status).toBe(400)
    expect(Object.keys(res.body.details.fields).sort()).toEqual(['directory', 'host'])
  })
})
