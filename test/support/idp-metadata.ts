import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { selfSignedCertificate, type TestCertificate } from './certificates.js'

// SAML 2.0 IdP metadata as identity providers publish it, and a server on 127.0.0.1 serving it
// (a metadata URL), for the directory tests.

export type MetadataInput = {
  entityId?: string
  ssoUrl?: string
  /** Base64 DER; each in its own KeyDescriptor. */
  signing?: string[]
  /** KeyDescriptors with use="encryption" (never signing certificates). */
  encryption?: string[]
  /** KeyDescriptors without `use` (they sign too). */
  unmarked?: string[]
  bindings?: string[]
}

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'

const keyDescriptor = (cert: string, use?: string) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`

export function idpMetadataXml(input: MetadataInput = {}): string {
  const ssoUrl = input.ssoUrl ?? 'https://idp.corp.example/sso'
  const signing = input.signing ?? [selfSignedCertificate().base64]
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${input.entityId ?? 'https://idp.corp.example/metadata'}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">
    ${signing.map((c) => keyDescriptor(c, 'signing')).join('\n    ')}
    ${(input.encryption ?? []).map((c) => keyDescriptor(c, 'encryption')).join('\n    ')}
    ${(input.unmarked ?? []).map((c) => keyDescriptor(c)).join('\n    ')}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    ${(input.bindings ?? [POST, REDIRECT]).map((b) => `<md:SingleSignOnService Binding="${b}" Location="${ssoUrl}"/>`).join('\n    ')}
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`
}

export const HTTP_POST_BINDING = POST

/** A certificate and metadata listing it: the usual IdP of a test. */
export function testIdp(
  input: Omit<MetadataInput, 'signing'> & { certificate?: TestCertificate } = {},
) {
  const certificate = input.certificate ?? selfSignedCertificate()
  return { certificate, xml: idpMetadataXml({ ...input, signing: [certificate.base64] }) }
}

export type MetadataServer = {
  url: string
  /** What the next requests get: metadata, or an HTTP status with no body. */
  serve(answer: string | number): void
  hits(): number
  close(): Promise<void>
}

export async function startMetadataServer(initial: string | number = idpMetadataXml()) {
  let answer = initial
  let hits = 0
  const server = createServer((_req, res) => {
    hits++
    if (typeof answer === 'number') res.writeHead(answer).end()
    else res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(answer)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/federationmetadata.xml`,
    serve: (next: string | number) => {
      answer = next
    },
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  } satisfies MetadataServer
}
