import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { selfSignedCertificate as build } from '../../src/sso/sp-certificate.js'

// Self-signed certificates with the validity a test asks for (an IdP's signing certificate,
// expired or about to expire), made by the gateway's own builder (src/sso/sp-certificate.ts).
// ECDSA P-256: generating one takes a millisecond, where an RSA key takes a few hundred.

const DAY_MS = 86_400_000

export type TestCertificate = { pem: string; base64: string; fingerprint256: string }

export function selfSignedCertificate(
  input: { commonName?: string; notBefore?: Date; notAfter?: Date } = {},
): TestCertificate {
  const now = Date.now()
  const pem = build({
    commonName: input.commonName ?? 'Test IdP',
    ...generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    notBefore: input.notBefore ?? new Date(now - DAY_MS),
    notAfter: input.notAfter ?? new Date(now + 365 * DAY_MS),
  })
  const x509 = new X509Certificate(pem)
  return { pem, base64: x509.raw.toString('base64'), fingerprint256: x509.fingerprint256 }
}
