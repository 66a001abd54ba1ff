import {
  constants,
  createCipheriv,
  createPublicKey,
  createVerify,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
} from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { inflateRawSync } from 'node:zlib'
import { SignedXml } from 'xml-crypto'
import { selfSignedCertificate } from '../../src/sso/sp-certificate.js'

// A real SAML 2.0 IdP for the tests, in this process: its own RSA key and certificate, its
// metadata, our AuthnRequest read from the redirect URL (inflated, its signature checked with
// the certificate our SP metadata publishes), and Responses it signs with xml-crypto, built by
// hand (never by node-saml, the library under test), with a knob for each attack of issue 10.

// @xmldom/xmldom without its type declarations (they pull the DOM lib into the whole program).
const { DOMParser } = createRequire(import.meta.url)('@xmldom/xmldom') as {
  DOMParser: new () => { parseFromString(xml: string, type: string): XDoc }
}
type XEl = {
  getAttribute(name: string): string | null
  textContent: string | null
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<XEl>
}
type XDoc = { documentElement: XEl } & Pick<XEl, 'getElementsByTagNameNS'>
const xml = (text: string) => new DOMParser().parseFromString(text, 'text/xml')

const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
}
const ALGORITHMS = {
  sha256: {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
  sha1: {
    signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    digest: 'http://www.w3.org/2000/09/xmldsig#sha1',
  },
}
export const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
const PASSWORD_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'

const escape = (v: string) =>
  v.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const newId = () => `_${randomBytes(16).toString('hex')}`
const at = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString()
const base64 = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')

/** What our SP asked for, read from the HTTP-Redirect URL. */
export type AuthnRequest = {
  id: string
  acsUrl: string
  issuer: string
  destination: string
  /** SAML core 2.0 §3.4.1: the SP asks for a fresh authentication. */
  forceAuthn: boolean
}

export type AssertionOptions = {
  /** null: IdP-initiated (no InResponseTo anywhere). */
  inResponseTo: string | null
  acsUrl: string
  audience: string
  nameId: string
  nameIdFormat?: string
  attributes?: Record<string, string | string[]>
  issuer?: string
  recipient?: string
  now?: Date
  /** Conditions window, in seconds from now. */
  notBefore?: number
  notOnOrAfter?: number
  /** SubjectConfirmationData NotOnOrAfter, in seconds from now. */
  confirmationNotOnOrAfter?: number
  authnContextClassRef?: string
  id?: string
}
export type ResponseOptions = AssertionOptions & {
  destination?: string | null
  responseIssuer?: string
  responseInResponseTo?: string | null
  signAssertion?: boolean
  signResponse?: boolean
  algorithm?: keyof typeof ALGORITHMS
  /** Our SP's encryption certificate (PEM): the assertion is sent encrypted for it. */
  encryptFor?: string
  /** Encrypt the key with RSA PKCS#1 v1.5 instead of RSA-OAEP. */
  weakKeyTransport?: boolean
}

export function createIdp(input: { entityId?: string; ssoUrl?: string } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const now = new Date()
  const certificate = selfSignedCertificate({
    commonName: 'Test IdP',
    privateKey,
    publicKey,
    notBefore: new Date(now.getTime() - 86_400_000),
    notAfter: new Date(now.getTime() + 365 * 86_400_000),
  })
  const entityId = input.entityId ?? `https://idp-${randomBytes(4).toString('hex')}.example/saml`
  const ssoUrl = input.ssoUrl ?? `${entityId}/sso`
  const idp = {
    entityId,
    ssoUrl,
    certificate,
    certificates: [certificate],

    metadataXml: (location = ssoUrl): string =>
      `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${escape(entityId)}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="${NS.protocol}">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${base64(certificate)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${escape(location)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`,

    /**
     * Our AuthnRequest from the redirect URL: its signature checked (SAML bindings 2.0 §3.4.4.1:
     * over the URL-encoded parameters as sent) with a signing certificate of our SP metadata.
     */
    readRequest(location: string, spMetadata: string): AuthnRequest {
      const url = new URL(location)
      const raw = new Map(
        url.search
          .slice(1)
          .split('&')
          .map((p) => [p.slice(0, p.indexOf('=')), p] as const),
      )
      const signed = ['SAMLRequest', 'RelayState', 'SigAlg']
        .flatMap((k) => raw.get(k) ?? [])
        .join('&')
      if (url.searchParams.get('SigAlg') !== ALGORITHMS.sha256.signature)
        throw new Error(`AuthnRequest signed with ${url.searchParams.get('SigAlg')}`)
      const certs = Array.from(xml(spMetadata).getElementsByTagNameNS(NS.metadata, 'KeyDescriptor'))
        .filter((k) => k.getAttribute('use') === 'signing')
        .map((k) => k.getElementsByTagNameNS(NS.dsig, 'X509Certificate')[0]?.textContent ?? '')
      const signature = Buffer.from(url.searchParams.get('Signature') ?? '', 'base64')
      const verified = certs.some((cert) =>
        createVerify('RSA-SHA256')
          .update(signed)
          .verify(createPublicKey(toPem(cert)), signature),
      )
      if (!verified) throw new Error('the AuthnRequest signature does not verify')
      const request = xml(
        inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64'), {
          maxOutputLength: 100_000,
        }).toString('utf8'),
      ).documentElement
      return {
        id: request.getAttribute('ID') ?? '',
        acsUrl: request.getAttribute('AssertionConsumerServiceURL') ?? '',
        destination: request.getAttribute('Destination') ?? '',
        issuer: request.getElementsByTagNameNS(NS.assertion, 'Issuer')[0]?.textContent ?? '',
        forceAuthn: request.getAttribute('ForceAuthn') === 'true',
      }
    },

    /** An Assertion (XML, unsigned). */
    assertion(o: AssertionOptions): string {
      const now = o.now ?? new Date()
      const id = o.id ?? newId()
      const irt = o.inResponseTo ? ` InResponseTo="${escape(o.inResponseTo)}"` : ''
      const attributes = Object.entries(o.attributes ?? {})
        .map(
          ([name, values]) =>
            `<saml:Attribute Name="${escape(name)}">${[values]
              .flat()
              .map((v) => `<saml:AttributeValue>${escape(v)}</saml:AttributeValue>`)
              .join('')}</saml:Attribute>`,
        )
        .join('')
      return `<saml:Assertion xmlns:saml="${NS.assertion}" ID="${id}" Version="2.0" IssueInstant="${now.toISOString()}"><saml:Issuer>${escape(o.issuer ?? entityId)}</saml:Issuer><saml:Subject><saml:NameID Format="${o.nameIdFormat ?? EMAIL_FORMAT}">${escape(o.nameId)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${irt} Recipient="${escape(o.recipient ?? o.acsUrl)}" NotOnOrAfter="${at(now, o.confirmationNotOnOrAfter ?? 300)}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${at(now, o.notBefore ?? -30)}" NotOnOrAfter="${at(now, o.notOnOrAfter ?? 300)}"><saml:AudienceRestriction><saml:Audience>${escape(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>${o.authnContextClassRef ?? PASSWORD_CLASS}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>${attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : ''}</saml:Assertion>`
    },

    /** `element` (the root of `xmlText`, or the one with ID `id`) signed, enveloped, after its Issuer. */
    sign(xmlText: string, id: string, algorithm: keyof typeof ALGORITHMS = 'sha256'): string {
      const sig = new SignedXml({
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        publicCert: certificate,
        signatureAlgorithm: ALGORITHMS[algorithm].signature,
        canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
      })
      sig.addReference({
        xpath: `//*[@ID='${id}']`,
        transforms: [
          'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
          'http://www.w3.org/2001/10/xml-exc-c14n#',
        ],
        digestAlgorithm: ALGORITHMS[algorithm].digest,
      })
      sig.computeSignature(xmlText, {
        prefix: 'ds',
        location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' },
      })
      return sig.getSignedXml()
    },

    /** A Response around `assertionXml` (signed or encrypted already, as the test wants it). */
    envelope(assertionXml: string, o: Omit<ResponseOptions, 'audience' | 'nameId'>): string {
      const now = o.now ?? new Date()
      const irt = o.responseInResponseTo === undefined ? o.inResponseTo : o.responseInResponseTo
      const destination = o.destination === undefined ? o.acsUrl : o.destination
      return `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${newId()}" Version="2.0" IssueInstant="${now.toISOString()}"${destination ? ` Destination="${escape(destination)}"` : ''}${irt ? ` InResponseTo="${escape(irt)}"` : ''}><saml:Issuer>${escape(o.responseIssuer ?? o.issuer ?? entityId)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertionXml}</samlp:Response>`
    },

    /** The Response XML an IdP sends: assertion signed (by default), encrypted if asked. */
    responseXml(o: ResponseOptions): string {
      const id = o.id ?? newId()
      const plain = idp.assertion({ ...o, id })
      let assertion = o.signAssertion === false ? plain : idp.sign(plain, id, o.algorithm)
      if (o.encryptFor) assertion = encrypt(assertion, o.encryptFor, o.weakKeyTransport)
      const response = idp.envelope(assertion, o)
      if (!o.signResponse) return response
      const responseId = /^<samlp:Response [^>]*ID="([^"]+)"/.exec(response)![1]!
      return idp.sign(response, responseId, o.algorithm)
    },

    /** The SAMLResponse form field of such a Response. */
    response: (o: ResponseOptions): string => encode(idp.responseXml(o)),
  }
  return idp
}
export type TestIdp = ReturnType<typeof createIdp>

export const encode = (xmlText: string) => Buffer.from(xmlText, 'utf8').toString('base64')
export const decode = (field: string) => Buffer.from(field, 'base64').toString('utf8')

const toPem = (b64: string) =>
  `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`

/** XML Encryption 1.1: AES-256-GCM content, key sent by RSA-OAEP (MGF1, SHA-1) to `certPem`. */
function encrypt(assertionXml: string, certPem: string, weak = false): string {
  const key = randomBytes(32)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(assertionXml, 'utf8'), cipher.final()])
  const content = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')
  const padding = weak ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING
  const wrapped = publicEncrypt(
    { key: createPublicKey(certPem), padding, oaepHash: 'sha1' },
    key,
  ).toString('base64')
  const xenc = 'http://www.w3.org/2001/04/xmlenc#'
  const transport = weak ? 'rsa-1_5' : 'rsa-oaep-mgf1p'
  return `<saml:EncryptedAssertion xmlns:saml="${NS.assertion}"><xenc:EncryptedData xmlns:xenc="${xenc}" Type="${xenc}Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo xmlns:ds="${NS.dsig}"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${xenc}${transport}"/><xenc:CipherData><xenc:CipherValue>${wrapped}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>${content}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>`
}

/** The signing and encryption certificates our SP metadata publishes. */
export function spCertificatesOf(spMetadata: string) {
  const of = (use: string) =>
    Array.from(xml(spMetadata).getElementsByTagNameNS(NS.metadata, 'KeyDescriptor'))
      .filter((k) => k.getAttribute('use') === use)
      .map((k) => toPem(k.getElementsByTagNameNS(NS.dsig, 'X509Certificate')[0]?.textContent ?? ''))
  return { signing: of('signing'), encryption: of('encryption') }
}

/** The Issuer of the AuthnRequest in a redirect URL, unverified: which SP is asking. */
export function requestIssuer(location: string): string {
  const request = new URL(location).searchParams.get('SAMLRequest') ?? ''
  const inflated = inflateRawSync(Buffer.from(request, 'base64'), { maxOutputLength: 100_000 })
  const doc = xml(inflated.toString('utf8'))
  return doc.documentElement.getElementsByTagNameNS(NS.assertion, 'Issuer')[0]?.textContent ?? ''
}

/**
 * The IdP on a real port, for Chromium: GET /sso reads our AuthnRequest (its signature checked
 * with the SP metadata `spMetadataOf` gives for its Issuer, as an IdP keeps the metadata of the
 * SPs it serves) and answers with a page that posts the signed Response for `person` to the ACS
 * the request named (the HTTP-POST binding, as a real IdP's page does once the person signed in).
 */
export async function serveIdp(
  idp: TestIdp,
  spMetadataOf: (issuer: string) => Promise<string>,
  person: () => Omit<AssertionOptions, 'inResponseTo' | 'acsUrl' | 'audience'>,
) {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    void Promise.resolve()
      .then(() => spMetadataOf(requestIssuer(url.href)))
      .then((metadata) => {
        const request = idp.readRequest(url.href, metadata)
        const field = idp.response({
          ...person(),
          inResponseTo: request.id,
          acsUrl: request.acsUrl,
          audience: request.issuer,
        })
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(`<!doctype html><html><body><p>Signing you in at the test IdP...</p>
<form id="post" method="post" action="${escape(request.acsUrl)}"><input type="hidden" name="SAMLResponse" value="${field}"><noscript><button>Continue</button></noscript></form>
<script>document.getElementById('post').submit()</script></body></html>`)
      })
      .catch((err: Error) => {
        res.writeHead(400, { 'content-type': 'text/plain' })
        res.end(err.message)
      })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return { port, close: () => new Promise((resolve) => server.close(resolve)) }
}

/** The employee the IdP vouches for by default. */
export const PERSON = {
  nameId: 'ada@corp.example',
  attributes: {
    email: 'ada@corp.example',
    firstName: 'Ada',
    lastName: 'Lovelace',
    groups: ['Sales', 'Engineering'],
  },
}

/** Another employee of the company: the attacker of the attack tests, signed in as themselves. */
export const MALLORY = {
  nameId: 'mallory@corp.example',
  attributes: { email: 'mallory@corp.example', groups: ['Sales'] },
}
