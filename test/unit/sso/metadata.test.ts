import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.js'
import { describeCertificate, parseIdpMetadata } from '../../../src/sso/metadata.js'
import { selfSignedCertificate as build } from '../../../src/sso/sp-certificate.js'
import { selfSignedCertificate } from '../../support/certificates.js'
import { HTTP_POST_BINDING, idpMetadataXml } from '../../support/idp-metadata.js'

const dev = { development: true }
const prod = { development: false }

/** The refusal's message, and that it names the field the metadata came from. */
function refusal(xml: string, options = prod): string {
  try {
    parseIdpMetadata(xml, 'metadataXml', options)
  } catch (error) {
    expect(error).toBeInstanceOf(AppError)
    const e = error as AppError
    expect(e.code).toBe('invalid_request')
    expect(e.details).toEqual({ fields: { metadataXml: [e.message] }, form: [] })
    return e.message
  }
  throw new Error('the metadata was accepted')
}

describe('SAML IdP metadata (saml-metadata-2.0-os)', () => {
  it('reads the entity ID, the HTTP-Redirect SSO URL and the signing certificate', () => {
    const cert = selfSignedCertificate()
    const idp = parseIdpMetadata(
      idpMetadataXml({ entityId: 'https://sts.corp.example/x', signing: [cert.base64] }),
      'metadataXml',
      prod,
    )
    expect(idp).toMatchObject({
      entityId: 'https://sts.corp.example/x',
      ssoUrl: 'https://idp.corp.example/sso',
      certificates: [cert.pem],
    })
  })

  it('keeps every signing certificate (use="signing" or no use), not the encryption ones, once each', () => {
    const [a, b, c, d] = [1, 2, 3, 4].map(() => selfSignedCertificate())
    const idp = parseIdpMetadata(
      idpMetadataXml({
        signing: [a!.base64, b!.base64, a!.base64],
        unmarked: [c!.base64],
        encryption: [d!.base64],
      }),
      'metadataXml',
      prod,
    )
    expect(idp.certificates).toEqual([a!.pem, b!.pem, c!.pem])
  })

  it('reads the one IdP of an EntitiesDescriptor aggregate', () => {
    const inner = idpMetadataXml().replace(/^<\?xml[^>]*>\s*/, '')
    const xml = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${inner}</md:EntitiesDescriptor>`
    expect(parseIdpMetadata(xml, 'metadataXml', prod).entityId).toBe(
      'https://idp.corp.example/metadata',
    )
  })

  it.each([
    ['<!DOCTYPE md [<!ENTITY x "y">]>', 'DOCTYPE or ENTITY'],
    ['<!doctype md SYSTEM "http://attacker.example/x.dtd">', 'DOCTYPE or ENTITY'],
  ])('OWASP ASVS 5.0 1.5.1: refuses a DTD (%s) before parsing', (prefix, message) => {
    expect(refusal(prefix + idpMetadataXml().replace(/^<\?xml[^>]*>/, ''))).toContain(message)
  })

  it('OWASP ASVS 5.0 1.5.1: refuses entity expansion (billion laughs)', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`
    expect(refusal(lol)).toContain('DOCTYPE or ENTITY')
  })

  it('refuses oversize input', () => {
    const xml = idpMetadataXml().replace(
      '<md:NameIDFormat>',
      `<!--${'x'.repeat(1_000_001)}--><md:NameIDFormat>`,
    )
    expect(refusal(xml)).toContain('larger than 1000000 bytes')
  })

  it.each([
    ['not xml at all', 'not well-formed XML'],
    ['<a x="1" x="2"/>', 'not well-formed XML'],
    ['<root/>', 'not SAML 2.0 metadata'],
    [
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>',
      'no identity provider',
    ],
  ])('refuses %j: %s', (xml, message) => {
    expect(refusal(xml)).toContain(message)
  })

  it('refuses metadata without an entity ID', () => {
    expect(refusal(idpMetadataXml({ entityId: '' }))).toContain('no entityID')
  })

  it('refuses metadata without an HTTP-Redirect SSO service, naming the bindings it has', () => {
    expect(refusal(idpMetadataXml({ bindings: [HTTP_POST_BINDING] }))).toContain(
      'no SingleSignOnService with the HTTP-Redirect binding',
    )
  })

  it('refuses an http SSO URL outside development, accepts it in development', () => {
    const xml = idpMetadataXml({ ssoUrl: 'http://127.0.0.1:4000/sso' })
    expect(refusal(xml)).toContain('must be an https URL')
    expect(parseIdpMetadata(xml, 'metadataXml', dev).ssoUrl).toBe('http://127.0.0.1:4000/sso')
  })

  it('refuses a javascript: SSO URL even in development', () => {
    expect(refusal(idpMetadataXml({ ssoUrl: 'javascript:alert(1)' }), dev)).toContain('https URL')
  })

  it('refuses metadata without a signing certificate, or with a broken one', () => {
    expect(
      refusal(idpMetadataXml({ signing: [], encryption: [selfSignedCertificate().base64] })),
    ).toContain('no signing certificate')
    expect(refusal(idpMetadataXml({ signing: ['bm90IGEgY2VydA=='] }))).toContain(
      'not a valid X.509 certificate',
    )
  })

  it('refuses metadata past its validUntil (saml-metadata-2.0-os 2.2.1)', () => {
    const xml = idpMetadataXml().replace('entityID=', 'validUntil="2020-01-01T00:00:00Z" entityID=')
    expect(refusal(xml)).toContain('expired on 2020-01-01T00:00:00Z')
  })

  it('names the metadataUrl field when the metadata came from a URL', () => {
    expect(() => parseIdpMetadata('<root/>', 'metadataUrl', prod)).toThrow(
      expect.objectContaining({
        details: { fields: { metadataUrl: [expect.any(String)] }, form: [] },
      }),
    )
  })
})

describe('describeCertificate', () => {
  it('gives subject, SHA-256 fingerprint, validity and whether it has expired', () => {
    const notAfter = new Date('2027-03-01T00:00:00Z')
    const cert = selfSignedCertificate({ commonName: 'Corp signing', notAfter })
    const info = describeCertificate(cert.pem, new Date('2027-02-01T00:00:00Z'))
    expect(info).toMatchObject({
      subject: 'CN=Corp signing',
      fingerprintSha256: cert.fingerprint256,
      notAfter: notAfter.toISOString(),
      expired: false,
    })
    expect(describeCertificate(cert.pem, new Date('2027-03-02T00:00:00Z')).expired).toBe(true)
  })
})

describe('the certificate builder (sp-certificate.ts, RFC 5280 §4.1)', () => {
  const notBefore = new Date('2026-01-02T03:04:05Z')
  const keys = {
    'RSA 2048': generateKeyPairSync('rsa', { modulusLength: 2048 }),
    'EC P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    'EC P-384': generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  }

  it.each(Object.entries(keys))(
    'makes a self-signed v3 certificate for an %s key, valid exactly when asked',
    (_, pair) => {
      const notAfter = new Date('2028-06-07T08:09:10Z')
      const pem = build({ commonName: 'SAML SP ü', ...pair, notBefore, notAfter })
      const cert = new X509Certificate(pem)
      expect(pem).toBe(cert.toString()) // node's own PEM layout, as metadata.ts stores it
      expect(cert.subject).toBe('CN=SAML SP ü')
      expect(cert.issuer).toBe(cert.subject)
      expect(cert.verify(pair.publicKey)).toBe(true)
      expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
        pair.publicKey.export({ type: 'spki', format: 'der' }),
      )
      expect(new Date(cert.validFrom)).toEqual(notBefore)
      expect(new Date(cert.validTo)).toEqual(notAfter)
      expect(cert.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/) // positive, 128 bits
    },
  )

  it('writes dates from 2050 on as GeneralizedTime (RFC 5280 §4.1.2.5)', () => {
    const notAfter = new Date('2051-01-01T00:00:00Z')
    const cert = new X509Certificate(
      build({ commonName: 'Long', ...keys['EC P-256'], notBefore, notAfter }),
    )
    expect(new Date(cert.validTo)).toEqual(notAfter)
    // GeneralizedTime (tag 0x18) with the four-digit year, after the UTCTime notBefore.
    expect(cert.raw.includes(Buffer.from('\x18\x0f20510101000000Z', 'latin1'))).toBe(true)
  })

  it('refuses a key it cannot sign a certificate with', () => {
    const pair = generateKeyPairSync('ed448')
    expect(() => build({ commonName: 'x', ...pair, notBefore, notAfter: notBefore })).toThrow(
      /ed448/,
    )
  })
})
