import { type KeyObject, randomBytes, sign } from 'node:crypto'
import { AsnConvert } from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509'

// A self-signed X.509 v3 certificate (RFC 5280 §4.1): the SAML service provider's, and the test
// IdPs'. SAML uses a certificate only to carry a public key (SAML metadata 2.4.1.1: no chain, no
// revocation), so it needs no extension. The ASN.1 is @peculiar/asn1-x509's (the layer under
// @peculiar/x509, whose own generator needs a reflect-metadata polyfill); node:crypto signs.

const COMMON_NAME = '2.5.4.3'

/** The signature algorithm for a key: RFC 4055 §5 (RSA, NULL parameters), RFC 5758 §3.2 (ECDSA). */
function signatureOf(key: KeyObject): { algorithm: AlgorithmIdentifier; hash: string } {
  if (key.asymmetricKeyType === 'rsa')
    return {
      // sha256WithRSAEncryption
      algorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }),
      hash: 'sha256',
    }
  if (key.asymmetricKeyType === 'ec') {
    // The hash that matches the curve's strength; node's ECDSA signature is DER, as X.509 wants.
    const ecdsa = {
      prime256v1: ['1.2.840.10045.4.3.2', 'sha256'],
      secp384r1: ['1.2.840.10045.4.3.3', 'sha384'],
      secp521r1: ['1.2.840.10045.4.3.4', 'sha512'],
    } as const
    const curve = key.asymmetricKeyDetails?.namedCurve as keyof typeof ecdsa | undefined
    const found = curve && ecdsa[curve]
    if (found)
      return { algorithm: new AlgorithmIdentifier({ algorithm: found[0] }), hash: found[1] }
  }
  throw new Error(`no certificate signature for a ${key.asymmetricKeyType} key`)
}

/** PEM of a certificate for `publicKey` (RSA, or EC P-256/384/521), signed by its `privateKey`. */
export function selfSignedCertificate(input: {
  commonName: string
  privateKey: KeyObject
  publicKey: KeyObject
  notBefore: Date
  notAfter: Date
}): string {
  const { algorithm, hash } = signatureOf(input.privateKey)
  const name = new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: COMMON_NAME,
        value: new AttributeValue({ utf8String: input.commonName }),
      }),
    ]),
  ])
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x40 // positive (RFC 5280 §4.1.2.2), no leading zero
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: algorithm,
    issuer: name,
    subject: name,
    // UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5): the library's Time.
    validity: new Validity({ notBefore: input.notBefore, notAfter: input.notAfter }),
    subjectPublicKeyInfo: AsnConvert.parse(
      input.publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
  })
  const signature = sign(hash, Buffer.from(AsnConvert.serialize(tbs)), input.privateKey)
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(signature).buffer,
  })
  const body = Buffer.from(AsnConvert.serialize(certificate)).toString('base64')
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})(?!$)/g, '$1\n')}\n-----END CERTIFICATE-----\n`
}
