import type { Db, Tx } from '../db/database.js'
import { isMailAddress } from '../lib/mail-address.js'
import type { Log } from '../log.js'
import { enqueueMail, recipientOf } from '../mail/outbox.js'
import { SamlConfig, samlUrls } from '../sso/connection.js'
import { describeCertificate } from '../sso/metadata.js'
import { getTenantById, type TenantUrls } from '../tenants/tenants.js'
import * as queries from './certificate-notices.queries.js'

// Tenant admins are emailed 30, 7 and 1 day before a certificate of a SAML directory expires:
// the IdP's signing certificates (config.idp.certificates) and the gateway's own SP
// certificates (sp_keys). One mail per admin, certificate and threshold: the notice row is
// inserted with the mails in one transaction, and a second process inserting the same notice
// waits for the first and then inserts nothing.

export const NOTICE_DAYS = [1, 7, 30] as const
const DAY_MS = 86_400_000

type Certificate = {
  template: 'idp_certificate_expiry' | 'sp_certificate_expiry'
  subject: string
  fingerprint: string
  notAfter: Date
}
type Directory = Awaited<ReturnType<typeof queries.listSamlDirectories>>[number]
export type NoticeDeps = { secretKey: string; urls: TenantUrls; log?: Log; now?: Date }

/** The threshold (in days) a certificate has reached, if any: the nearest one ahead of it. */
export function noticeDue(notAfter: Date, now: Date): number | undefined {
  const left = notAfter.getTime() - now.getTime()
  if (left <= 0) return undefined
  return NOTICE_DAYS.find((days) => left <= days * DAY_MS)
}

export async function sendCertificateNotices(db: Db, deps: NoticeDeps) {
  const now = deps.now ?? new Date()
  let mails = 0
  for (const directory of await queries.listSamlDirectories(db)) {
    for (const certificate of await certificatesOf(db, directory)) {
      const daysBefore = noticeDue(certificate.notAfter, now)
      if (!daysBefore) continue
      const notice = { directory, certificate, daysBefore, now }
      mails += await db.transaction().execute((tx) => notify(tx, notice, deps))
    }
  }
  return { mails }
}

async function certificatesOf(db: Db, directory: Directory): Promise<Certificate[]> {
  const config = SamlConfig.safeParse(directory.config)
  const idp = config.success ? config.data.idp.certificates : [] // reported where it is served
  const sp = await queries.listSpCertificates(db, directory.id)
  return [
    ...idp.map((pem) => ({ pem, template: 'idp_certificate_expiry' as const })),
    ...sp.map((k) => ({ pem: k.certificate, template: 'sp_certificate_expiry' as const })),
  ].flatMap(({ pem, template }) => {
    try {
      const c = describeCertificate(pem)
      const notAfter = new Date(c.notAfter)
      return [{ template, subject: c.subject, fingerprint: c.fingerprintSha256, notAfter }]
    } catch {
      return []
    }
  })
}

async function notify(
  tx: Tx,
  notice: { directory: Directory; certificate: Certificate; daysBefore: number; now: Date },
  deps: NoticeDeps,
): Promise<number> {
  const { directory, certificate, daysBefore, now } = notice
  const claimed = await queries.claimNotice(tx, {
    directoryId: directory.id,
    fingerprint: certificate.fingerprint,
    daysBefore,
    now,
  })
  if (!claimed) return 0
  const tenant = await getTenantById(tx, directory.tenant_id, deps.urls)
  if (!tenant) return 0
  const admins = (await queries.listTenantAdmins(tx, tenant.id)).filter((a) =>
    isMailAddress(a.email),
  )
  if (admins.length === 0)
    deps.log?.warn(
      { tenant: tenant.slug, directory: directory.id, certificate: certificate.fingerprint },
      'a certificate expires soon and the tenant has no admin to tell',
    )
  const link = samlUrls(tenant, { id: directory.id, host: directory.host }).metadataUrl
  for (const admin of admins)
    await enqueueMail(
      tx,
      {
        tenantId: tenant.id,
        template: certificate.template,
        locale: admin.locale ?? tenant.settings.defaultLocale,
        to: recipientOf(admin),
        data: {
          firstName: admin.first_name ?? '',
          directoryName: directory.name,
          certificateSubject: certificate.subject,
          fingerprint: certificate.fingerprint,
          expiresAt: certificate.notAfter.toISOString(),
        },
        // Not a secret, but the outbox keeps every link sealed (enqueueMail).
        secret: { link },
      },
      deps.secretKey,
    )
  return admins.length
}
