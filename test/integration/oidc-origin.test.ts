import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'

// SECURITY-NOTES "URLs we emit": every URL in a discovery document comes from the tenant's stored
// canonical host, never from Host or X-Forwarded-Host of the request (OWASP ASVS 5.0 V10, host
// header poisoning; RFC 8414 section 3.3: the issuer and its endpoints are the server's own).
// TLS ends at a proxy in front: the tenants' public URLs are https, the gateway hears plain http.
const gw = useGateway({ PUBLIC_URL_TEMPLATE: 'https://{host}', TRUST_PROXY: '10.0.0.0/8' })

/** Every string value of the discovery document that is a URL. */
const urlsOf = (document: Record<string, unknown>) =>
  Object.values(document).filter(
    (v): v is string => typeof v === 'string' && /^[a-z]+:\/\//i.test(v),
  )

async function discovery(host: string, headers: Record<string, string> = {}) {
  const res = await gw.get(host, '/.well-known/openid-configuration').set(headers)
  expect(res.status).toBe(200)
  return res.body as Record<string, unknown>
}

describe('discovery names only the tenant public URL', () => {
  it('ignores X-Forwarded-Host/-Proto from a client that is not a configured proxy (ASVS V10)', async () => {
    const tenant = await gw.createTenant()
    const document = await discovery(tenant.primaryHost, {
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'http',
    })
    const urls = urlsOf(document)
    expect(urls).toContain(`${tenant.publicUrl}/auth`)
    const foreign = (url: string) =>
      url !== tenant.publicUrl && !url.startsWith(`${tenant.publicUrl}/`)
    expect(urls.filter(foreign)).toEqual([])
  })

  it('advertises https endpoints for an https tenant served over plain http behind TLS', async () => {
    const tenant = await gw.createTenant()
    expect(tenant.publicUrl).toMatch(/^https:\/\//)
    const document = await discovery(tenant.primaryHost)
    expect(document['issuer']).toBe(tenant.publicUrl)
    for (const endpoint of ['authorization', 'token', 'end_session', 'jwks_uri', 'userinfo']) {
      const key = endpoint.endsWith('_uri') ? endpoint : `${endpoint}_endpoint`
      expect(document[key], key).toMatch(new RegExp(`^${tenant.publicUrl}/`))
    }
  })
})
