import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto'
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

// Self-signed X.509 certificates with the validity a test asks for (an IdP's signing
// certificate, expired or about to expire). Built with the ASN.1 layer of @peculiar/x509
// (whose own generator needs a reflect-metadata polyfill), signed with node:crypto. ECDSA P-256:
// generating one takes a millisecond, where an RSA key takes a few hundred.

const ECDSA_SHA256 = '1.2.840.10045.4.3.2'
const COMMON_NAME = '2.5.4.3'
const DAY_MS = 86_400_000

export type TestCertificate = { pem: string; base64: string; fingerprint256: string }

export function selfSignedCertificate(
  input: { commonName?: string; notBefore?: Date; notAfter?: Date } = {},
): TestCertificate {
  const now = Date.now()
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const name = new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: COMMON_NAME,
        value: new AttributeValue({ utf8String: input.commonName ?? 'Test IdP' }),
      }),
    ]),
  ])
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_SHA256 })
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array([1, ...randomBytes(8)]).buffer,
    signature: algorithm,
    issuer: name,
    subject: name,
    validity: new Validity({
      notBefore: input.notBefore ?? new Date(now - DAY_MS),
      notAfter: input.notAfter ?? new Date(now + 365 * DAY_MS),
    }),
    subjectPublicKeyInfo: AsnConvert.parse(
      publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
  })
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs))
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(sign('sha256', tbsDer, privateKey)).buffer,
  })
  const der = Buffer.from(AsnConvert.serialize(certificate))
  const x509 = new X509Certificate(der)
  return {
    pem: x509.toString(),
    base64: der.toString('base64'),
    fingerprint256: x509.fingerprint256,
  }
}
