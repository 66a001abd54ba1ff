import { createRequire } from 'node:module'

// The XML checks node-saml does not make (SECURITY-NOTES.md), before and after its signature
// work: what the raw POST may contain at all, and the facts read from the assertion's verified
// bytes. Identity data is only ever read from those bytes, never from the POST body.

// @xmldom/xmldom (node-saml's own parser), loaded without its type declarations: they pull
// TypeScript's DOM library into the whole program (`reference lib="dom"`), which retypes fetch
// everywhere. The few members used here are typed below. parseXml is the gateway's one XML
// parser: IdP metadata (metadata.ts) is read with it too, under the same DOCTYPE refusal.
const require = createRequire(import.meta.url)
const { DOMParser } = require('@xmldom/xmldom') as {
  DOMParser: new (options: object) => { parseFromString(xml: string, type: string): XmlDocument }
}
type XmlNode = {
  nodeType: number
  nodeValue: string | null
  localName?: string | null
  namespaceURI?: string | null
  textContent: string | null
  /** null on text and comment nodes */
  childNodes: ArrayLike<XmlNode> | null
}
export type XmlElement = XmlNode & {
  localName: string
  getAttribute(name: string): string | null
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<XmlElement>
  toString(): string
}
export type XmlDocument = {
  documentElement: XmlElement | null
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<XmlElement>
}

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
}
const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success'
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer'

// RSA-SHA256 or better, SHA-256 or better: node-saml (through xml-crypto) also takes SHA-1.
const SIGNATURE_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1',
])
const DIGEST_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
])
// RSA-OAEP key transport only: node-saml's decryption also takes RSA PKCS#1 v1.5 (open to
// Bleichenbacher's attack, XML Encryption 1.1 §5.4.1) and triple DES.
const KEY_TRANSPORT = new Set(['http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p'])
const CONTENT_ENCRYPTION = new Set([
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
])

/** A refused response; `reason` is what the security log names. */
export class SamlRefusal extends Error {
  readonly reason: string
  constructor(reason: string, detail?: string) {
    super(detail ?? reason)
    this.reason = reason
  }
}

/** Parses XML that may contain no DTD at all (OWASP ASVS 5.0 1.5.1): no DOCTYPE, no entity. */
export function parseXml(xml: string): XmlDocument & { documentElement: XmlElement } {
  // xmldom expands internal entities; any DOCTYPE is refused before it sees one.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlRefusal('doctype', 'the XML has a DTD')
  const problems: string[] = []
  const report = (message: unknown) => problems.push(String(message))
  let doc: XmlDocument | undefined
  try {
    doc = new DOMParser({
      locator: {},
      errorHandler: { warning: () => undefined, error: report, fatalError: report },
    }).parseFromString(xml, 'text/xml')
  } catch (error) {
    report(error instanceof Error ? error.message : error)
  }
  const root = doc?.documentElement
  if (problems.length > 0 || !doc || !root)
    throw new SamlRefusal('malformed', problems[0] ?? 'not an XML document')
  return Object.assign(doc, { documentElement: root })
}

export const children = (parent: XmlElement, ns: string, name: string): XmlElement[] =>
  Array.from(parent.childNodes ?? []).filter(
    (n): n is XmlElement => n.nodeType === 1 && n.localName === name && n.namespaceURI === ns,
  )
const child = (parent: XmlElement, ns: string, name: string): XmlElement | undefined => {
  const found = children(parent, ns, name)
  if (found.length > 1) throw new SamlRefusal('malformed', `more than one ${name}`)
  return found[0]
}
const all = (node: XmlDocument | XmlElement, ns: string, name: string) =>
  Array.from(node.getElementsByTagNameNS(ns, name))
const attr = (element: XmlElement | undefined, name: string) =>
  element?.getAttribute(name) || undefined

/** Every signature and encryption in `node` uses an allowed algorithm. */
export function checkAlgorithms(node: XmlDocument | XmlElement): void {
  const refuse = (kind: string, algorithm: string | undefined) => {
    throw new SamlRefusal('weak_algorithm', `${kind} ${algorithm ?? '(none)'}`)
  }
  for (const method of all(node, NS.dsig, 'SignatureMethod')) {
    const algorithm = attr(method, 'Algorithm')
    if (!algorithm || !SIGNATURE_ALGORITHMS.has(algorithm)) refuse('signature', algorithm)
  }
  for (const reference of all(node, NS.dsig, 'Reference')) {
    const algorithm = attr(child(reference, NS.dsig, 'DigestMethod'), 'Algorithm')
    if (!algorithm || !DIGEST_ALGORITHMS.has(algorithm)) refuse('digest', algorithm)
  }
  for (const data of all(node, NS.xenc, 'EncryptedData')) {
    const algorithm = attr(child(data, NS.xenc, 'EncryptionMethod'), 'Algorithm')
    if (!algorithm || !CONTENT_ENCRYPTION.has(algorithm)) refuse('encryption', algorithm)
  }
  for (const key of all(node, NS.xenc, 'EncryptedKey')) {
    const algorithm = attr(child(key, NS.xenc, 'EncryptionMethod'), 'Algorithm')
    if (!algorithm || !KEY_TRANSPORT.has(algorithm)) refuse('key transport', algorithm)
  }
}

/** What the (unsigned) Response envelope says; checked, never a source of identity data. */
export type ResponseFacts = {
  destination?: string | undefined
  inResponseTo?: string | undefined
  issuer?: string | undefined
  /** The Response itself carries a signature (then Destination is required). */
  isSigned: boolean
  /** The EncryptedAssertion's XML, when the IdP encrypted it for us. */
  encryptedAssertion?: string | undefined
}

/** The POST's Response, before node-saml sees it: shape, status, algorithms, no comments. */
export function inspectResponse(xml: string): ResponseFacts {
  const doc = parseXml(xml)
  const response = doc.documentElement
  if (response.localName !== 'Response' || response.namespaceURI !== NS.protocol)
    throw new SamlRefusal('malformed', 'not a SAML Response')
  const status = child(response, NS.protocol, 'Status')
  const code = status && attr(child(status, NS.protocol, 'StatusCode'), 'Value')
  if (code !== SUCCESS) throw new SamlRefusal('idp_status', code ?? 'no status')
  checkAlgorithms(doc)
  // Canonicalization drops comments, so a comment inside a signed NameID keeps the signature
  // valid while splitting the text in two (the 2018 NameID comment attack): no comment at all.
  for (const assertion of all(doc, NS.assertion, 'Assertion'))
    if (hasComment(assertion)) throw new SamlRefusal('comment', 'a comment inside the assertion')
  const encrypted = children(response, NS.assertion, 'EncryptedAssertion')
  return {
    destination: attr(response, 'Destination'),
    inResponseTo: attr(response, 'InResponseTo'),
    issuer: child(response, NS.assertion, 'Issuer')?.textContent ?? undefined,
    isSigned: children(response, NS.dsig, 'Signature').length > 0,
    encryptedAssertion: encrypted.length === 1 ? encrypted[0]!.toString() : undefined,
  }
}

const hasComment = (node: XmlNode): boolean =>
  Array.from(node.childNodes ?? []).some((n) => n.nodeType === 8 || hasComment(n))

/** One bearer SubjectConfirmationData of the verified assertion. */
export type Confirmation = {
  recipient?: string | undefined
  inResponseTo?: string | undefined
  notBefore?: string | undefined
  notOnOrAfter?: string | undefined
}

/** What the IdP signed, read from the verified assertion's bytes only. */
export type VerifiedAssertion = {
  id: string
  issuer: string
  nameId: string
  nameIdFormat?: string | undefined
  conditionsNotOnOrAfter?: string | undefined
  confirmations: Confirmation[]
  attributes: Map<string, string[]>
  authnContextClassRefs: string[]
}

export function readAssertion(assertionXml: string): VerifiedAssertion {
  const assertion = parseXml(assertionXml).documentElement
  const id = attr(assertion, 'ID')
  const issuer = child(assertion, NS.assertion, 'Issuer')?.textContent
  const subject = child(assertion, NS.assertion, 'Subject')
  if (!id || !issuer || !subject) throw new SamlRefusal('malformed', 'no ID, Issuer or Subject')
  const nameId = child(subject, NS.assertion, 'NameID')
  if (!nameId) throw new SamlRefusal('bad_name_id', 'no NameID')
  const confirmations = children(subject, NS.assertion, 'SubjectConfirmation')
    .filter((c) => attr(c, 'Method') === BEARER)
    .map((c) => child(c, NS.assertion, 'SubjectConfirmationData'))
    .map((d) => ({
      recipient: attr(d, 'Recipient'),
      inResponseTo: attr(d, 'InResponseTo'),
      notBefore: attr(d, 'NotBefore'),
      notOnOrAfter: attr(d, 'NotOnOrAfter'),
    }))
  const attributes = new Map<string, string[]>()
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement'))
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      const name = attr(attribute, 'Name')
      if (!name) continue
      const values = children(attribute, NS.assertion, 'AttributeValue').map(valueOf)
      attributes.set(name, [...(attributes.get(name) ?? []), ...values.filter(isString)])
    }
  const authnContextClassRefs = children(assertion, NS.assertion, 'AuthnStatement')
    .flatMap((s) => children(s, NS.assertion, 'AuthnContext'))
    .flatMap((c) => children(c, NS.assertion, 'AuthnContextClassRef'))
    .map((r) => r.textContent ?? '')
  return {
    id,
    issuer,
    nameId: textOf(nameId) ?? badNameId(),
    nameIdFormat: attr(nameId, 'Format'),
    conditionsNotOnOrAfter: attr(child(assertion, NS.assertion, 'Conditions'), 'NotOnOrAfter'),
    confirmations,
    attributes,
    authnContextClassRefs,
  }
}

/** The text of an element made of text only (no comment, no element, no control character). */
function textOf(element: XmlElement, forbidden = /[\u0000-\u001f\u007f]/): string | undefined {
  const nodes = Array.from(element.childNodes ?? [])
  if (!nodes.every((n) => n.nodeType === 3 || n.nodeType === 4)) return undefined
  const text = nodes.map((n) => n.nodeValue ?? '').join('')
  return forbidden.test(text) ? undefined : text
}
/** An attribute value made of text (a structured value is skipped). */
const valueOf = (element: XmlElement) => {
  const text = textOf(element, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/)
  return text?.trim() || undefined
}
const isString = (v: string | undefined): v is string => v !== undefined
const badNameId = (): never => {
  throw new SamlRefusal('bad_name_id', 'the NameID is not plain text')
}
