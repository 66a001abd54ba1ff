import type { Tenant } from '../tenants/tenants.js'
import { type SamlDirectory, type SsoContext, samlUrls } from './connection.js'
import { spCertificates } from './sp-keys.js'

// The SP metadata (SAML metadata 2.0 §2.4.4) the customer's IT gives their IdP: who we are,
// the keys we sign with (next and retired ones too, so a rotation needs no IdP change on the
// day) and the one the IdP encrypts for, and an ACS on each host of the tenant a sign-in can
// start from. node-saml's generator knows one ACS and one signing key only.

const escape = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  )
const base64Of = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')

const keyDescriptor = (use: 'signing' | 'encryption', pem: string, extra = '') =>
  `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${base64Of(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>${extra}</md:KeyDescriptor>`

// What node-saml (xml-encryption) opens; key transport RSA-OAEP only (saml-xml.ts).
const ENCRYPTION_METHODS = [
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
]
  .map((a) => `<md:EncryptionMethod Algorithm="${a}"/>`)
  .join('')

const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
]

/** The hosts a sign-in with this directory can start on: its own, or the tenant's unbound ones. */
export function samlHosts(tenant: Tenant, directory: SamlDirectory): string[] {
  const hosts = [
    ...new Set([directory.host ?? tenant.primaryHost, tenant.primaryHost, ...tenant.hosts]),
  ]
  return hosts.filter((h) => (tenant.directoryHosts[h] ?? directory.id) === directory.id)
}

export async function spMetadata(
  ctx: SsoContext,
  input: { tenant: Tenant; directory: SamlDirectory },
  now = new Date(),
): Promise<string> {
  const { tenant, directory } = input
  const keys = await spCertificates(ctx, directory.id, now)
  const active = keys.find((k) => k.state === 'active')
  const acs = samlHosts(tenant, directory).map(
    (host, index) =>
      `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${escape(samlUrls(tenant, directory, host).acsUrl)}" index="${index}"${index === 0 ? ' isDefault="true"' : ''}/>`,
  )
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escape(samlUrls(tenant, directory).entityId)}">`,
    '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
    ...keys.map((k) => keyDescriptor('signing', k.certificate)),
    ...(active ? [keyDescriptor('encryption', active.certificate, ENCRYPTION_METHODS)] : []),
    ...NAME_ID_FORMATS.map((f) => `<md:NameIDFormat>${f}</md:NameIDFormat>`),
    ...acs,
    '</md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n')
}
