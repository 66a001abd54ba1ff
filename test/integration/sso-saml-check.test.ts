import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import type { SsoContext } from '../../src/sso/connection.js'
import { checkSamlDirectory } from '../../src/sso/saml.js'
import { selfSignedCertificate } from '../../src/sso/sp-certificate.js'
import { useGateway } from '../support/harness.js'
import { createIdp } from '../support/saml-idp.js'
import { addSamlDirectory } from '../support/saml-sign-in.js'
import { pageHelpers } from '../support/pages.js'

// Issue 10: `POST …/directories/{id}/test` checks certificates and clocks and "says in plain
// words what is wrong". checkSamlDirectory is what it calls for a SAML directory.
const gw = useGateway()
const { store } = pageHelpers(gw)
const idp = createIdp()
const DAY = 86_400_000
const ctx = (): SsoContext => ({
  db: gw.db,
  secretKey: gw.config.secretKey,
  development: true,
  clockSkewSeconds: 60,
})

function certificateValidFor(days: number) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const now = Date.now()
  return selfSignedCertificate({
    commonName: 'IdP',
    privateKey,
    publicKey,
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now + days * DAY),
  })
}

/** The IdP's metadata on a local URL; `dateOffsetMs` moves the Date header its server sends. */
async function metadataServer(xml: string, dateOffsetMs = 0) {
  const server = createServer((_req, res) => {
    res.setHeader('Date', new Date(Date.now() + dateOffsetMs).toUTCString())
    res.setHeader('Content-Type', 'application/samlmetadata+xml')
    res.end(xml)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/metadata`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

async function checks(
  trust: Parameters<typeof addSamlDirectory>[2],
  patch: Record<string, unknown> = {},
) {
  const { tenant } = await store()
  const directory = await addSamlDirectory(gw.db, tenant, trust)
  const config = { ...directory.config, ...patch }
  const found = await checkSamlDirectory(ctx(), { tenant, directory: { ...directory, config } })
  return Object.fromEntries(found.map((c) => [c.check, c]))
}

describe('checking a SAML directory', () => {
  it('finds nothing wrong with a good connection', async () => {
    const found = await checks(idp)
    expect(found['idp_sso_url']).toMatchObject({ ok: true })
    expect(found['idp_sso_url']!.message).toContain(idp.ssoUrl)
    expect(found['idp_certificate']).toMatchObject({ ok: true })
    expect(found['sp_key']).toMatchObject({ ok: true })
  })

  it('says when the metadata URL no longer offers single sign-on by the HTTP-Redirect binding', async () => {
    const postOnly = idp.metadataXml().replace('bindings:HTTP-Redirect', 'bindings:HTTP-POST')
    const served = await metadataServer(postOnly)
    try {
      const found = await checks(idp, { metadataXml: undefined, metadataUrl: served.url })
      expect(found['metadata_url']).toMatchObject({ ok: false })
      expect(found['metadata_url']!.message).toContain('HTTP-Redirect')
    } finally {
      await served.close()
    }
  })

  it('says when an IdP certificate has expired or expires within 30 days', async () => {
    const expired = await checks({ ...idp, certificates: [certificateValidFor(-2)] })
    expect(expired['idp_certificate']).toMatchObject({ ok: false })
    expect(expired['idp_certificate']!.message).toMatch(/expired on \d{4}-\d\d-\d\d/)
    const soon = await checks({ ...idp, certificates: [certificateValidFor(10)] })
    expect(soon['idp_certificate']!.message).toMatch(/expires in (9|10) days .* no newer one/)
    expect(soon['idp_certificate']!.ok).toBe(false)
  })

  it("fetches a metadata URL and compares the IdP's clock with ours", async () => {
    const good = await metadataServer(idp.metadataXml())
    const skewed = await metadataServer(idp.metadataXml(), 10 * 60_000)
    try {
      const found = await checks(idp, { metadataXml: undefined, metadataUrl: good.url })
      expect(found['metadata_url']).toMatchObject({ ok: true })
      expect(found['clock']).toMatchObject({ ok: true })
      expect(found['idp_sso_url']).toMatchObject({ ok: true })
      const off = await checks(idp, { metadataXml: undefined, metadataUrl: skewed.url })
      expect(off['clock']).toMatchObject({ ok: false })
      expect(off['clock']!.message).toMatch(/(599|600|601) s apart/)
    } finally {
      await good.close()
      await skewed.close()
    }
  })

  it('says when the metadata URL cannot be fetched', async () => {
    const found = await checks(idp, {
      metadataXml: undefined,
      metadataUrl: 'http://127.0.0.1:1/metadata',
    })
    expect(found['metadata_url']).toMatchObject({ ok: false })
    expect(found['metadata_url']!.message).toContain('could not be fetched')
  })
})
