import { X509Certificate } from 'node:crypto'
import type { Tenant } from '../tenants/tenants.js'
import type { DirectoryCheck, SamlDirectory, SsoContext } from './connection.js'
import { guardedFetch } from './fetch.js'
import { children, NS, parseXml } from './saml-xml.js'
import { spCertificates } from './sp-keys.js'

// `POST …/directories/{id}/test` for a SAML directory: what is wrong, in words an admin acts on.
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
const DAY_MS = 86_400_000
const WARN_DAYS = 30

const check = (name: string, ok: boolean, message: string): DirectoryCheck => ({
  check: name,
  ok,
  message,
})

/** Metadata, certificates (expiry), our SP key, clocks: what is wrong with this connection. */
export async function checkSamlDirectory(
  ctx: SsoContext,
  input: { tenant: Tenant; directory: SamlDirectory },
  now = new Date(),
): Promise<DirectoryCheck[]> {
  const { config } = input.directory
  const checks: DirectoryCheck[] = []
  let metadata = config.metadataXml
  if (config.metadataUrl) {
    const fetched = await fetchMetadata(ctx, config.metadataUrl, now)
    checks.push(...fetched.checks)
    metadata = fetched.xml ?? metadata
  }
  checks.push(metadata ? ssoServiceCheck(metadata, config.idp.entityId) : storedSsoUrl(config.idp))
  checks.push(
    ...config.idp.certificates.map((c, i) => certificateCheck(`IdP certificate ${i + 1}`, c, now)),
  )
  if (config.idp.certificates.length === 0)
    checks.push(check('idp_certificate', false, 'The IdP metadata lists no signing certificate.'))
  try {
    const keys = await spCertificates(ctx, input.directory.id, now)
    const active = keys.find((k) => k.state === 'active')
    checks.push(
      active
        ? certificateCheck('Our SP signing key', active.certificate, now, 'sp_key')
        : check('sp_key', false, 'Our SP signing key is missing.'),
    )
  } catch {
    checks.push(check('sp_key', false, 'Our SP signing key cannot be opened with SECRET_KEY.'))
  }
  return checks
}

async function fetchMetadata(ctx: SsoContext, url: string, now: Date) {
  try {
    const response = await guardedFetch({ development: ctx.development })(url)
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new Error(`it answered HTTP ${response.status}`)
    }
    const xml = await response.text()
    const checks = [check('metadata_url', true, `The IdP metadata was fetched from ${url}.`)]
    const date = Date.parse(response.headers.get('date') ?? '')
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
    return { xml, checks }
  } catch (err) {
    const reason =
      err instanceof Error
        ? ((err.cause as Error | undefined)?.message ?? err.message)
        : String(err)
    return {
      xml: undefined,
      checks: [
        check(
          'metadata_url',
          false,
          `The IdP metadata could not be fetched from ${url}: ${reason}.`,
        ),
      ],
    }
  }
}

function ssoServiceCheck(xml: string, entityId: string): DirectoryCheck {
  let doc: ReturnType<typeof parseXml>
  try {
    doc = parseXml(xml)
  } catch (err) {
    return check(
      'idp_sso_url',
      false,
      `The IdP metadata is not readable XML (${(err as Error).message}).`,
    )
  }
  const entity = Array.from(doc.getElementsByTagNameNS(NS.metadata, 'EntityDescriptor')).find(
    (e) => e.getAttribute('entityID') === entityId,
  )
  if (!entity)
    return check('idp_sso_url', false, `The IdP metadata does not describe the entity ${entityId}.`)
  const location = children(entity, NS.metadata, 'IDPSSODescriptor')
    .flatMap((d) => children(d, NS.metadata, 'SingleSignOnService'))
    .find((s) => s.getAttribute('Binding') === REDIRECT)
    ?.getAttribute('Location')
  return location
    ? check('idp_sso_url', true, `Sign-ins are sent to ${location} (HTTP-Redirect binding).`)
    : check(
        'idp_sso_url',
        false,
        'The IdP metadata has no single sign-on URL with the HTTP-Redirect binding, the one this gateway sends sign-in requests with.',
      )
}

function storedSsoUrl(idp: { ssoUrl: string }): DirectoryCheck {
  const ok = URL.canParse(idp.ssoUrl)
  return check(
    'idp_sso_url',
    ok,
    ok ? `Sign-ins are sent to ${idp.ssoUrl}.` : `The IdP sign-in URL ${idp.ssoUrl} is not a URL.`,
  )
}

/** Readable, valid now, and not expiring within 30 days. */
function certificateCheck(
  label: string,
  pemOrBase64: string,
  now: Date,
  name = 'idp_certificate',
): DirectoryCheck {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(toPem(pemOrBase64))
  } catch {
    return check(name, false, `${label} is not a readable X.509 certificate.`)
  }
  const validTo = new Date(certificate.validTo)
  const day = validTo.toISOString().slice(0, 10)
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS)
  if (daysLeft < 0) return check(name, false, `${label} expired on ${day}.`)
  if (daysLeft < WARN_DAYS)
    return check(name, false, `${label} expires on ${day}, in ${daysLeft} days: replace it soon.`)
  return check(name, true, `${label} is valid until ${day}.`)
}

const toPem = (value: string) =>
  value.includes('-----BEGIN')
    ? value
    : `-----BEGIN CERTIFICATE-----\n${value.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`
