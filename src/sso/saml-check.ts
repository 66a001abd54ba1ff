import type { Tenant } from '../tenants/tenants.js'
import type { DirectoryCheck, SamlDirectory, SamlIdp, SsoContext } from './connection.js'
import { guardedFetch } from './fetch.js'
import { describeCertificate, MAX_METADATA_BYTES, parseIdpMetadata } from './metadata.js'
import { spCertificates } from './sp-keys.js'

// `POST …/directories/{id}/test` for a SAML directory: what is wrong, in words an admin acts on.
// The metadata URL (reachable, same entity, clocks), the sign-on URL, every IdP certificate
// (expired, expiring within 30 days with no successor) and our own SP key.

const DAY_MS = 86_400_000
/** The first certificate-expiry email goes out this long before (jobs/certificate-notices.ts). */
export const EXPIRY_WARNING_DAYS = 30

const check = (name: string, ok: boolean, message: string): DirectoryCheck => ({
  check: name,
  ok,
  message,
})

export async function checkSamlDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; directory: SamlDirectory },
  now = new Date(),
): Promise<DirectoryCheck[]> {
  const { idp, metadataUrl } = input.directory.config
  return [
    ...(metadataUrl ? await metadataUrlChecks(ctx, metadataUrl, idp.entityId, now) : []),
    check(
      'idp_sso_url',
      URL.canParse(idp.ssoUrl),
      URL.canParse(idp.ssoUrl)
        ? `Sign-in requests go to ${idp.ssoUrl} (HTTP-Redirect binding).`
        : `The IdP sign-in URL ${idp.ssoUrl} is not a URL.`,
    ),
    ...idpCertificateChecks(idp, now),
    await spKeyCheck(ctx, input.directory.id, now),
  ]
}

function idpCertificateChecks(idp: SamlIdp, now: Date): DirectoryCheck[] {
  const certificates = idp.certificates.map((pem) => describeCertificate(pem, now))
  if (certificates.length === 0)
    return [check('idp_certificate', false, 'The IdP metadata lists no signing certificate.')]
  const lasting = certificates.filter(
    (c) => Date.parse(c.notAfter) - now.getTime() > EXPIRY_WARNING_DAYS * DAY_MS,
  )
  return certificates.map((c) => {
    const left = Math.floor((Date.parse(c.notAfter) - now.getTime()) / DAY_MS)
    const name = `The IdP signing certificate "${c.subject}" (SHA-256 ${c.fingerprintSha256})`
    const problem =
      Date.parse(c.notBefore) > now.getTime()
        ? `${name} is not valid before ${c.notBefore}.`
        : c.expired
          ? `${name} expired on ${c.notAfter}: give the directory the IdP's current metadata.`
          : left < EXPIRY_WARNING_DAYS && lasting.length === 0
            ? `${name} expires in ${left} days (${c.notAfter}) and the metadata has no newer one yet: ask the IdP's administrators for the new certificate.`
            : undefined
    return check('idp_certificate', !problem, problem ?? `${name} is valid until ${c.notAfter}.`)
  })
}

async function spKeyCheck(ctx: SsoContext, directoryId: string, now: Date) {
  try {
    const active = (await spCertificates(ctx, directoryId, now)).find((k) => k.state === 'active')
    if (!active) return check('sp_key', false, 'Our SP signing key is missing.')
    const left = Math.floor((active.notAfter.getTime() - now.getTime()) / DAY_MS)
    return left < EXPIRY_WARNING_DAYS
      ? check(
          'sp_key',
          false,
          `Our SP signing certificate expires in ${left} days: rotate the directory's SP key and give the IdP the new SP metadata.`,
        )
      : check(
          'sp_key',
          true,
          `Our SP signing certificate is valid until ${active.notAfter.toISOString()}.`,
        )
  } catch {
    return check('sp_key', false, 'Our SP signing key cannot be opened with SECRET_KEY.')
  }
}

/** One fetch of the metadata URL: reachable, still the same entity, and the IdP's clock. */
async function metadataUrlChecks(
  ctx: SsoContext,
  url: string,
  entityId: string,
  now: Date,
): Promise<DirectoryCheck[]> {
  let xml: string
  let date: number
  try {
    const response = await guardedFetch({
      development: ctx.development,
      maxBytes: MAX_METADATA_BYTES,
    })(url)
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new Error(`it answered HTTP ${response.status}`)
    }
    xml = await response.text()
    date = Date.parse(response.headers.get('date') ?? '')
  } catch (err) {
    const reason =
      err instanceof Error
        ? ((err.cause as Error | undefined)?.message ?? err.message)
        : String(err)
    return [
      check('metadata_url', false, `The IdP metadata could not be fetched from ${url}: ${reason}.`),
    ]
  }
  const checks: DirectoryCheck[] = []
  try {
    const fresh = parseIdpMetadata(xml, 'metadataUrl', { development: ctx.development, now })
    checks.push(
      fresh.entityId === entityId
        ? check(
            'metadata_url',
            true,
            `${url} answers with metadata for "${entityId}" (${fresh.certificates.length} signing certificate(s)).`,
          )
        : check(
            'metadata_url',
            false,
            `${url} now describes the entity "${fresh.entityId}", not "${entityId}": the daily refresh will not apply it; change the directory if the IdP really changed.`,
          ),
    )
  } catch (err) {
    checks.push(check('metadata_url', false, `${url}: ${(err as Error).message}`))
  }
  if (Number.isFinite(date)) {
    // HTTP dates have a one-second resolution.
    const apart = Math.round(Math.abs(now.getTime() - date) / 1000)
    const ok = apart <= Math.max(ctx.clockSkewSeconds, 2)
    checks.push(
      check(
        'clock',
        ok,
        ok
          ? `This server's clock and the IdP's agree (${apart} s apart).`
          : `This server's clock and the IdP's are ${apart} s apart, more than the ${ctx.clockSkewSeconds} s allowed: sign-ins will fail until one of them is set right (NTP).`,
      ),
    )
  }
  return checks
}
