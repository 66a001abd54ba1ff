import { AppError } from '../errors.js'
import type { Tenant } from '../tenants/tenants.js'
import type { DirectoryCheck, SamlDirectory, SsoContext } from './connection.js'
import { findEnterpriseDirectory } from './directories.js'
import { describeCertificate, readIdpMetadata } from './metadata.js'
import { checkOidcDirectory } from './oidc.js'
import { checkSamlDirectory } from './saml.js'

// POST …/directories/{id}/test: what is wrong with a connection, in words an admin can act on.
// The protocol modules check what they own (keys, algorithms, discovery, clocks); the stored
// metadata (certificates, SSO URL) and the metadata URL are checked here.

const DAY_MS = 86_400_000
/** The first certificate-expiry email goes out this long before (jobs/certificate-notices.ts). */
export const EXPIRY_WARNING_DAYS = 30

export async function testDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; id: string },
  now = new Date(),
): Promise<{ ok: boolean; checks: DirectoryCheck[] }> {
  const { tenant } = input
  const directory = await findEnterpriseDirectory(ctx.db, tenant.id, input.id)
  if (!directory) throw new AppError('not_found', 'There is no such directory.')
  const checks =
    directory.kind === 'saml'
      ? [
          ...(await metadataChecks(ctx, directory, now)),
          ...(await protocolChecks(() => checkSamlDirectory(ctx, { tenant, directory }))),
        ]
      : await protocolChecks(() => checkOidcDirectory(ctx, { tenant, directory }))
  return { ok: checks.every((c) => c.ok), checks }
}

// A refusal the protocol module words for the admin (an unreachable discovery document) is a
// failed check, not a failed request; anything else is a bug and stays an error.
async function protocolChecks(run: () => Promise<DirectoryCheck[]>): Promise<DirectoryCheck[]> {
  try {
    return await run()
  } catch (error) {
    if (!(error instanceof AppError) || error.code === 'tenant_misconfigured') throw error
    return [{ check: 'connection', ok: false, message: error.message }]
  }
}

async function metadataChecks(
  ctx: SsoContext,
  directory: SamlDirectory,
  now: Date,
): Promise<DirectoryCheck[]> {
  const { idp, metadataUrl } = directory.config
  const checks: DirectoryCheck[] = []
  if (metadataUrl) checks.push(await metadataUrlCheck(ctx, metadataUrl, idp.entityId, now))
  checks.push({
    check: 'idp_sso_url',
    ok: Boolean(idp.ssoUrl),
    message: idp.ssoUrl
      ? `Sign-in requests go to ${idp.ssoUrl} (HTTP-Redirect binding).`
      : 'The metadata has no single sign-on URL with the HTTP-Redirect binding.',
  })
  const certificates = idp.certificates.map((pem) => describeCertificate(pem, now))
  const lasting = certificates.filter(
    (c) => Date.parse(c.notAfter) - now.getTime() > EXPIRY_WARNING_DAYS * DAY_MS,
  )
  for (const c of certificates) {
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
    checks.push({
      check: 'idp_certificate',
      ok: !problem,
      message: problem ?? `${name} is valid until ${c.notAfter}.`,
    })
  }
  return checks
}

async function metadataUrlCheck(
  ctx: SsoContext,
  url: string,
  entityId: string,
  now: Date,
): Promise<DirectoryCheck> {
  try {
    const fresh = await readIdpMetadata({ development: ctx.development }, { metadataUrl: url }, now)
    if (fresh.entityId !== entityId)
      return {
        check: 'metadata_url',
        ok: false,
        message: `${url} now describes the entity "${fresh.entityId}", not "${entityId}": the daily refresh will not apply it; change the directory if the IdP really changed.`,
      }
    return {
      check: 'metadata_url',
      ok: true,
      message: `${url} answers with metadata for "${entityId}" (${fresh.certificates.length} signing certificate(s)).`,
    }
  } catch (error) {
    if (!(error instanceof AppError)) throw error
    return { check: 'metadata_url', ok: false, message: error.message }
  }
}
