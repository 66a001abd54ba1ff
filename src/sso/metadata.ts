import { X509Certificate } from 'node:crypto'
import { AppError } from '../errors.js'
import type { SamlIdp } from './connection.js'
import { fetchText, type FetchPolicy } from './fetch.js'
import { children, NS, parseXml, SamlRefusal, type XmlElement } from './saml-xml.js'

// SAML 2.0 IdP metadata (saml-metadata-2.0-os) as an admin uploads it or names its URL: the
// entity ID, the single sign-on URL of the HTTP-Redirect binding and every signing certificate.
// The metadata is not signature-checked: it is trusted as the admin's upload, or as what the
// https URL they chose serves.

const MD = NS.metadata
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
/** Entra ID's metadata is about 25 KB; a megabyte is no IdP's. */
export const MAX_METADATA_BYTES = 1_000_000

export type MetadataField = 'metadataXml' | 'metadataUrl'
export type MetadataOptions = { development: boolean; now?: Date }

/** A plain-words refusal naming the field the metadata came from. */
export const metadataError = (field: MetadataField, message: string, cause?: unknown) =>
  new AppError('invalid_request', message, {
    details: { fields: { [field]: [message] }, form: [] },
    cause,
  })

/** The IdP a metadata document describes, or an invalid_request naming `field`. */
export function parseIdpMetadata(
  xml: string,
  field: MetadataField,
  options: MetadataOptions,
): SamlIdp {
  const fail = (message: string, cause?: unknown): never => {
    throw metadataError(field, message, cause)
  }
  if (Buffer.byteLength(xml, 'utf8') > MAX_METADATA_BYTES)
    fail(`The metadata is larger than ${MAX_METADATA_BYTES} bytes.`)
  const root = readXml(xml, fail)
  const { entity, descriptor } = idpDescriptor(root, fail)
  const entityId = entity.getAttribute('entityID')?.trim() ?? ''
  if (!entityId || entityId.length > 1024)
    fail('The metadata has no entityID on its EntityDescriptor.')
  const validUntil = entity.getAttribute('validUntil')
  const now = options.now ?? new Date()
  if (validUntil && Date.parse(validUntil) < now.getTime())
    fail(`The metadata expired on ${validUntil} (its validUntil): fetch a current copy.`)

  return {
    entityId,
    ssoUrl: redirectSsoUrl(descriptor, options, fail),
    certificates: signingCertificates(descriptor, fail),
    fetchedAt: now.toISOString(),
  }
}

/** Metadata from the admin's XML or URL (fetched under the policy: https, no internal address). */
export async function readIdpMetadata(
  policy: FetchPolicy,
  source: { metadataXml: string } | { metadataUrl: string },
  now = new Date(),
): Promise<SamlIdp> {
  const options = { development: policy.development, now }
  if ('metadataXml' in source) return parseIdpMetadata(source.metadataXml, 'metadataXml', options)
  let xml: string
  try {
    xml = await fetchText({ maxBytes: MAX_METADATA_BYTES, ...policy }, source.metadataUrl)
  } catch (error) {
    throw metadataError('metadataUrl', (error as Error).message, error)
  }
  return parseIdpMetadata(xml, 'metadataUrl', options)
}

/** The root element, by the SAML parser (saml-xml.ts: no DTD at all, OWASP ASVS 5.0 1.5.1). */
function readXml(xml: string, fail: (message: string, cause?: unknown) => never): XmlElement {
  try {
    return parseXml(xml).documentElement
  } catch (error) {
    if (!(error instanceof SamlRefusal)) throw error
    return error.reason === 'doctype'
      ? fail('The metadata contains a DOCTYPE or ENTITY declaration, which is not accepted.')
      : fail('The metadata is not well-formed XML.', error)
  }
}

/** The one IDPSSODescriptor, and the EntityDescriptor around it. */
function idpDescriptor(
  root: XmlElement,
  fail: (message: string) => never,
): { entity: XmlElement; descriptor: XmlElement } {
  if (
    root.namespaceURI !== MD ||
    !['EntityDescriptor', 'EntitiesDescriptor'].includes(root.localName)
  )
    fail('The metadata is not SAML 2.0 metadata (no md:EntityDescriptor).')
  // An aggregate (md:EntitiesDescriptor) is accepted when it describes exactly one IdP.
  const entities =
    root.localName === 'EntityDescriptor' ? [root] : children(root, MD, 'EntityDescriptor')
  const idps = entities.flatMap((entity) =>
    children(entity, MD, 'IDPSSODescriptor').map((descriptor) => ({ entity, descriptor })),
  )
  if (idps.length === 0) fail('The metadata describes no identity provider (IDPSSODescriptor).')
  if (idps.length > 1)
    fail(`The metadata describes ${idps.length} identity providers; give the metadata of one.`)
  return idps[0]!
}

function redirectSsoUrl(
  descriptor: XmlElement,
  options: MetadataOptions,
  fail: (message: string) => never,
): string {
  const services = children(descriptor, MD, 'SingleSignOnService')
  const location = services
    .find((s) => s.getAttribute('Binding') === REDIRECT)
    ?.getAttribute('Location')
    ?.trim()
  if (!location) {
    const bindings = services.map((s) => s.getAttribute('Binding')?.split(':').at(-1)).join(', ')
    fail(
      'The metadata has no SingleSignOnService with the HTTP-Redirect binding (the gateway ' +
        `sends sign-in requests by redirect)${bindings ? `; it lists: ${bindings}` : ''}.`,
    )
  }
  let url: URL | undefined
  try {
    url = new URL(location as string)
  } catch {
    url = undefined
  }
  // Where browsers are sent with our signed request: https, except on a developer's machine.
  const allowed = options.development ? ['https:', 'http:'] : ['https:']
  if (!url || !allowed.includes(url.protocol))
    fail(`The single sign-on URL "${location}" must be an https URL.`)
  return (url as URL).href
}

/** Every certificate of a KeyDescriptor with use="signing" or no use (both sign), deduplicated. */
function signingCertificates(descriptor: XmlElement, fail: (message: string) => never): string[] {
  const pems = new Map<string, string>()
  for (const key of children(descriptor, MD, 'KeyDescriptor')) {
    const use = key.getAttribute('use')
    if (use && use !== 'signing') continue
    for (const node of Array.from(key.getElementsByTagNameNS(NS.dsig, 'X509Certificate'))) {
      const base64 = (node.textContent ?? '').replace(/\s+/g, '')
      let cert: X509Certificate | undefined
      try {
        cert = /^[A-Za-z0-9+/]+={0,2}$/.test(base64)
          ? new X509Certificate(Buffer.from(base64, 'base64'))
          : undefined
      } catch {
        cert = undefined
      }
      if (!cert) fail('A signing certificate in the metadata is not a valid X.509 certificate.')
      pems.set((cert as X509Certificate).fingerprint256, (cert as X509Certificate).toString())
    }
  }
  if (pems.size === 0)
    fail('The metadata has no signing certificate (KeyDescriptor use="signing").')
  return [...pems.values()]
}

export type CertificateInfo = {
  subject: string
  issuer: string
  fingerprintSha256: string
  notBefore: string
  notAfter: string
  expired: boolean
}

/** What an admin needs to recognise a certificate and see when it stops working. */
export function describeCertificate(pem: string, now = new Date()): CertificateInfo {
  const cert = new X509Certificate(pem)
  const notAfter = new Date(cert.validTo)
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    fingerprintSha256: cert.fingerprint256,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    expired: notAfter.getTime() <= now.getTime(),
  }
}

// node prints distinguished names one attribute per line.
const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ')
