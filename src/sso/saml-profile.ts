import type { SamlConfig } from './connection.js'
import type { IdpProfile } from './provisioning.js'
import { SamlRefusal, type VerifiedAssertion } from './saml-xml.js'

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
const LOOKS_LIKE_EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

// How the IdP says it signed the person in (AuthnContextClassRef), as RFC 8176 amr values.
// Every SAML sign-in is 'ext' (vouched for by an external IdP); the class adds what it proves.
// Unknown classes add nothing: an app asking for 'mfa' only gets it when the IdP said so.
const AMR_OF_CLASS: [RegExp, string][] = [
  [/:ac:classes:(PasswordProtectedTransport|Password)$/, 'pwd'],
  [/multipleauthn$|refeds\.org\/profile\/mfa$|MobileTwoFactor|TimeSyncToken/i, 'mfa'],
  [/:ac:classes:(X509|Smartcard|SmartcardPKI)$/, 'sc'],
]

/** The person as the directory's attribute mapping reads them from the verified assertion. */
export function mapSamlProfile(config: SamlConfig, assertion: VerifiedAssertion): IdpProfile {
  const subject = assertion.nameId
  if (subject.length < 1 || subject.length > 1024 || subject !== subject.trim())
    throw new SamlRefusal('bad_name_id', 'empty, too long or padded')
  const mapping = config.attributeMapping
  const first = (name: string) => assertion.attributes.get(name)?.[0]
  const nameIdIsEmail = assertion.nameIdFormat === EMAIL_FORMAT || LOOKS_LIKE_EMAIL.test(subject)
  const email = first(mapping.email) ?? (nameIdIsEmail ? subject : undefined)
  if (!email) throw new SamlRefusal('no_email', `no "${mapping.email}" attribute`)
  const amr = new Set(['ext'])
  for (const ref of assertion.authnContextClassRefs)
    for (const [pattern, value] of AMR_OF_CLASS) if (pattern.test(ref)) amr.add(value)
  return {
    subject,
    email,
    firstName: first(mapping.firstName),
    lastName: first(mapping.lastName),
    groups: [...new Set(assertion.attributes.get(mapping.groups) ?? [])].slice(0, 500),
    amr: [...amr],
  }
}
