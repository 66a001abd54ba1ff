import type { SamlConfig } from './connection.js'
import type { IdpProfile } from './provisioning.js'
import { type ResponseFacts, SamlRefusal, type VerifiedAssertion } from './saml-xml.js'

// The SAML profile's rules on a verified assertion (SAML profiles 2.0 §4.1.4), which node-saml
// leaves to us, and the person it describes, as the directory's attribute mapping reads them.

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

/**
 * Issuer, Destination, Recipient, the bearer confirmation's times and InResponseTo: the response
 * was meant for this ACS, by this directory's IdP, now. What to record against a replay.
 */
export function checkAssertion(
  response: ResponseFacts,
  assertion: VerifiedAssertion,
  expected: { acsUrl: string; idpEntityId: string; now: Date; skewSeconds: number },
): { requestId: string | undefined; keepUntil: Date } {
  const { acsUrl, now } = expected
  // SAML profiles 2.0 §4.1.4.2: the IdP's entity ID, on the assertion and (if any) the Response.
  for (const issuer of [assertion.issuer, response.issuer ?? assertion.issuer])
    if (issuer !== expected.idpEntityId) throw new SamlRefusal('wrong_issuer', issuer)
  // SAML core 2.0 §3.2.2; bindings 2.0 §3.5.5.2: a signed Response must name its Destination.
  if (response.destination !== undefined && response.destination !== acsUrl)
    throw new SamlRefusal('wrong_destination', response.destination)
  if (response.destination === undefined && response.isSigned)
    throw new SamlRefusal('wrong_destination', 'a signed Response without Destination')

  // SAML profiles 2.0 §4.1.4.2-3: a bearer confirmation for this ACS, current.
  if (assertion.confirmations.length === 0) throw new SamlRefusal('no_bearer_confirmation')
  const forUs = assertion.confirmations.filter((c) => c.recipient === acsUrl)
  if (forUs.length === 0)
    throw new SamlRefusal('wrong_recipient', assertion.confirmations[0]?.recipient ?? '(none)')
  const skew = expected.skewSeconds * 1000
  const current = forUs.find(
    (c) =>
      c.notOnOrAfter !== undefined &&
      now.getTime() - skew < Date.parse(c.notOnOrAfter) &&
      (c.notBefore === undefined || Date.parse(c.notBefore) <= now.getTime() + skew),
  )
  if (!current?.notOnOrAfter) throw new SamlRefusal('expired', 'SubjectConfirmationData')

  // The signed InResponseTo decides; the envelope's, when present, must agree with it (an
  // assertion moved into another sign-in's Response).
  if (response.inResponseTo !== undefined && response.inResponseTo !== current.inResponseTo)
    throw new SamlRefusal('in_response_to_mismatch', response.inResponseTo)
  // SAML profiles 2.0 §4.1.4.5: a bearer assertion is used once; its ID kept while it is valid.
  const until = [current.notOnOrAfter, assertion.conditionsNotOnOrAfter].map((t) =>
    t ? Date.parse(t) : 0,
  )
  return { requestId: current.inResponseTo, keepUntil: new Date(Math.max(...until) + skew) }
}
