import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { noticeDue, sendCertificateNotices } from '../../src/jobs/certificate-notices.js'
import { refreshSamlMetadata } from '../../src/jobs/refresh-saml-metadata.js'
import { sendDueMail } from '../../src/jobs/send-outbox.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { tenantWithKey } from '../support/admin-api.js'
import { selfSignedCertificate, type TestCertificate } from '../support/certificates.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, useGateway } from '../support/harness.js'
import {
  idpMetadataXml,
  type MetadataServer,
  startMetadataServer,
} from '../support/idp-metadata.js'
import { useSmtpMailer } from '../support/mailer.js'

// Issue 10: "refreshed daily, so an IdP certificate rollover needs no admin action (several
// IdP signing certificates at once are accepted)" and "tenant admins are emailed 30, 7 and 1
// day before an IdP or SP certificate expires". The clock is passed in; nothing sleeps. Own
// database: both jobs read every tenant's directories.

const gw = useGateway({}, { database: 'own' })
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
/** Certificates keep whole seconds. */
const inDays = (days: number) => new Date(Math.floor((Date.now() + days * DAY_MS) / 1000) * 1000)
const { smtp, mailer } = await useSmtpMailer()
const servers: MetadataServer[] = []
afterAll(() => Promise.all(servers.map((s) => s.close())))

async function server(xml: string) {
  const s = await startMetadataServer(xml)
  servers.push(s)
  return s
}
const log = memoryLog()
const refresh = (now: Date) => refreshSamlMetadata(gw.db, { development: true, log: log.log, now })
const fingerprints = (body: { idp: { certificates: { fingerprintSha256: string }[] } }) =>
  body.idp.certificates.map((c) => c.fingerprintSha256)

describe('the daily refresh of SAML metadata URLs', () => {
  async function directoryOn(url: string) {
    const { api } = await tenantWithKey(gw)
    const res = await api('post', '/directories').send({
      kind: 'saml',
      name: 'Corp',
      metadataUrl: url,
    })
    expect(res.status).toBe(201)
    return {
      api,
      id: res.body.id as string,
      get: async () => (await api('get', `/directories/${res.body.id}`)).body,
    }
  }

  it('picks up an IdP certificate rollover (old and new published together) with no admin action', async () => {
    const [old, next] = [selfSignedCertificate(), selfSignedCertificate()]
    const idp = await server(idpMetadataXml({ signing: [old.base64] }))
    const d = await directoryOn(idp.url)
    idp.serve(idpMetadataXml({ signing: [old.base64, next.base64] }))

    await refresh(new Date(Date.now() + HOUR_MS)) // not due yet: read at creation
    expect(idp.hits()).toBe(1)
    expect(fingerprints(await d.get())).toEqual([old.fingerprint256])

    const later = new Date(Date.now() + 25 * HOUR_MS)
    expect((await refresh(later)).failed).toBe(0)
    expect(idp.hits()).toBe(2)
    const after = await d.get()
    expect(fingerprints(after)).toEqual([old.fingerprint256, next.fingerprint256])
    expect(after.idp.fetchedAt).toBe(later.toISOString())
    expect(after.metadataRefresh).toMatchObject({ succeededAt: later.toISOString() })

    idp.serve(idpMetadataXml({ signing: [next.base64] })) // the IdP drops the old one
    await refresh(new Date(later.getTime() + 25 * HOUR_MS))
    expect(fingerprints(await d.get())).toEqual([next.fingerprint256])
  })

  it('keeps the last good metadata when the fetch fails, logs it, and tries again an hour later', async () => {
    const cert = selfSignedCertificate()
    const idp = await server(idpMetadataXml({ signing: [cert.base64] }))
    const d = await directoryOn(idp.url)
    idp.serve(503)
    const at = new Date(Date.now() + 25 * HOUR_MS)
    await refresh(at)
    const after = await d.get()
    expect(fingerprints(after)).toEqual([cert.fingerprint256])
    expect(after.metadataRefresh).toMatchObject({
      attemptedAt: at.toISOString(),
      error: expect.stringContaining('HTTP 503'),
    })
    const line = log
      .lines()
      .find((l) => l.event === 'saml_metadata_refresh_failed' && l.directory === d.id)
    expect(line).toMatchObject({ level: 40, reason: expect.stringContaining('HTTP 503') })

    await refresh(new Date(at.getTime() + 10 * 60_000))
    expect(idp.hits()).toBe(2)
    idp.serve(idpMetadataXml({ signing: [cert.base64] }))
    await refresh(new Date(at.getTime() + 2 * HOUR_MS))
    expect(idp.hits()).toBe(3)
    expect((await d.get()).metadataRefresh).not.toHaveProperty('error')
  })

  it('does not apply metadata that now names another entity: an admin decides', async () => {
    const idp = await server(idpMetadataXml({ entityId: 'https://idp.one.example' }))
    const d = await directoryOn(idp.url)
    idp.serve(idpMetadataXml({ entityId: 'https://idp.elsewhere.example' }))
    await refresh(new Date(Date.now() + 25 * HOUR_MS))
    const after = await d.get()
    expect(after.idp.entityId).toBe('https://idp.one.example')
    expect(after.metadataRefresh.error).toContain('https://idp.elsewhere.example')
  })

  it.runIf(onPostgres())(
    'fetches each directory once when two gateway processes refresh at once',
    async () => {
      const idp = await server(idpMetadataXml())
      for (let i = 0; i < 3; i++) await directoryOn(idp.url)
      const at = new Date(Date.now() + 30 * DAY_MS)
      await Promise.all([refresh(at), refresh(at), refresh(at)])
      expect(idp.hits()).toBe(3 + 3)
    },
  )
})

describe('certificate expiry emails to the tenant admins', () => {
  async function member(
    tenant: Tenant,
    input: { role: string; status?: 'active' | 'disabled'; locale?: string },
  ) {
    const email = `${input.role}-${randomBytes(4).toString('hex')}@store.example`
    const directoryId = tenant.databaseDirectoryId as string
    const user = await gw.db
      .insertInto('users')
      .values({
        directory_id: directoryId,
        email,
        email_key: email,
        first_name: 'Ada',
        locale: input.locale ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await gw.db
      .insertInto('memberships')
      .values({
        tenant_id: tenant.id,
        directory_id: directoryId,
        user_id: user.id,
        role: input.role,
        status: input.status ?? 'active',
      })
      .execute()
    return email
  }
  async function setUp(certificate: TestCertificate) {
    const { tenant, api } = await tenantWithKey(gw)
    const res = await api('post', '/directories').send({
      kind: 'saml',
      name: 'Corp Entra',
      metadataXml: idpMetadataXml({ signing: [certificate.base64] }),
    })
    const admins = [
      await member(tenant, { role: 'admin' }),
      await member(tenant, { role: 'admin', locale: 'fr' }),
    ]
    await member(tenant, { role: 'user' })
    await member(tenant, { role: 'admin', status: 'disabled' })
    return { tenant, id: res.body.id as string, admins }
  }
  const outbox = (tenantId: string) =>
    gw.db
      .selectFrom('outbox')
      .select(['to_address', 'template', 'locale', 'data'])
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .execute()
  const notices = (now: Date) =>
    sendCertificateNotices(gw.db, { secretKey: gw.config.secretKey, urls: gw.config, now })

  it('picks the nearest threshold ahead: 30, 7 or 1 day, none after expiry', () => {
    const at = new Date('2027-06-30T00:00:00Z')
    const before = (days: number) => new Date(at.getTime() - days * DAY_MS)
    expect([31, 30, 8, 7, 2, 1, 0.1, 0, -1].map((d) => noticeDue(at, before(d)))).toEqual([
      undefined,
      30,
      30,
      7,
      7,
      1,
      1,
      undefined,
      undefined,
    ])
  })

  it("sends one mail per active admin, certificate and threshold, in the admin's language", async () => {
    const notAfter = inDays(100)
    const certificate = selfSignedCertificate({ commonName: 'Corp signing', notAfter })
    const { tenant, admins } = await setUp(certificate)
    const before = (days: number) => new Date(notAfter.getTime() - days * DAY_MS)

    await notices(before(31))
    expect(await outbox(tenant.id)).toEqual([])
    await notices(before(29))
    await notices(before(28)) // the same threshold: nothing new
    const first = await outbox(tenant.id)
    expect(first.map((m) => [m.to_address, m.template, m.locale]).sort()).toEqual(
      [
        [admins[0], 'idp_certificate_expiry', 'en'],
        [admins[1], 'idp_certificate_expiry', 'fr'],
      ].sort(),
    )
    expect(first[0]?.data).toMatchObject({
      directoryName: 'Corp Entra',
      certificateSubject: 'CN=Corp signing',
      fingerprint: certificate.fingerprint256,
      expiresAt: notAfter.toISOString(),
    })

    await notices(before(6))
    await notices(before(0.5))
    await notices(before(-1))
    expect((await outbox(tenant.id)).length).toBe(6)

    await sendDueMail(gw.db, {
      mailer,
      secretKey: gw.config.secretKey,
      templates: gw.config.mailTemplates,
      from: { address: 'no-reply@gateway.test' },
    })
    const mail = await smtp.waitFor(admins[0] as string)
    expect(mail.subject).toContain('Corp Entra')
    expect(mail.text).toContain(certificate.fingerprint256)
    expect(mail.text).toContain('/metadata')
    const french = await smtp.waitFor(admins[1] as string)
    expect(french.text).toMatch(/^Bonjour Ada,/)
  })

  it("warns about the gateway's own SP certificate (sp_keys) too", async () => {
    const farAway = selfSignedCertificate()
    const { tenant, id, admins } = await setUp(farAway)
    const notAfter = inDays(50)
    const sp = selfSignedCertificate({ commonName: 'Gateway SP', notAfter })
    await gw.db
      .insertInto('sp_keys')
      .values({
        directory_id: id,
        kid: 'k1',
        state: 'active',
        certificate: sp.pem,
        private_sealed: new Uint8Array(40),
        not_after: notAfter,
      })
      .execute()
    await notices(new Date(notAfter.getTime() - 7 * DAY_MS))
    const mails = await outbox(tenant.id)
    expect(mails.map((m) => [m.to_address, m.template]).sort()).toEqual(
      admins.map((a) => [a, 'sp_certificate_expiry']).sort(),
    )
    expect(mails[0]?.data).toMatchObject({ certificateSubject: 'CN=Gateway SP' })
  })

  it.runIf(onPostgres())(
    'sends each notice once when two gateway processes run the job at once',
    async () => {
      const notAfter = inDays(200)
      const { tenant } = await setUp(selfSignedCertificate({ notAfter }))
      const at = new Date(notAfter.getTime() - 20 * DAY_MS)
      await Promise.all([notices(at), notices(at), notices(at)])
      expect((await outbox(tenant.id)).length).toBe(2)
    },
  )
})
