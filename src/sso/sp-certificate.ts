import { type KeyObject, randomBytes, sign } from 'node:crypto'

// A self-signed X.509 v3 certificate (RFC 5280 §4.1) for a SAML service provider's RSA key, in
// the few DER shapes it needs. SAML uses the certificate only to carry the public key (SAML
// metadata 2.4.1.1: no chain, no revocation), so no extension is needed. @peculiar/x509 would
// do it too, but needs a reflect-metadata polyfill this tree does not have.

const der = (tag: number, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts)
  const n = body.length
  const length =
    n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : undefined
  if (!length) throw new Error('DER value too long')
  return Buffer.concat([Buffer.from([tag, ...length]), body])
}
const sequence = (...parts: Buffer[]) => der(0x30, ...parts)
const hex = (h: string) => Buffer.from(h.replace(/ /g, ''), 'hex')

// sha256WithRSAEncryption (1.2.840.113549.1.1.11) with NULL parameters; commonName (2.5.4.3).
const SHA256_WITH_RSA = sequence(hex('06 09 2a 86 48 86 f7 0d 01 01 0b'), hex('05 00'))
const COMMON_NAME = hex('06 03 55 04 03')

const name = (commonName: string) =>
  sequence(der(0x31, sequence(COMMON_NAME, der(0x0c, Buffer.from(commonName, 'utf8')))))

// UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : der(0x18, Buffer.from(`${iso}Z`))
}

/** PEM of a certificate for `publicKey`, signed with its own `privateKey` (RSA, SHA-256). */
export function selfSignedCertificate(input: {
  commonName: string
  privateKey: KeyObject
  publicKey: KeyObject
  notBefore: Date
  notAfter: Date
}): string {
  const serial = randomBytes(16)
  serial[0] = (serial[0]! & 0x7f) | 0x40 // positive, and no leading zero to strip
  const tbs = sequence(
    der(0xa0, der(0x02, hex('02'))), // version v3
    der(0x02, serial),
    SHA256_WITH_RSA,
    name(input.commonName),
    sequence(time(input.notBefore), time(input.notAfter)),
    name(input.commonName),
    input.publicKey.export({ type: 'spki', format: 'der' }),
  )
  const signature = sign('sha256', tbs, input.privateKey)
  const certificate = sequence(tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), signature))
  const body = certificate.toString('base64').replace(/(.{64})/g, '$1\n')
  return `-----BEGIN CERTIFICATE-----\n${body.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`
}
