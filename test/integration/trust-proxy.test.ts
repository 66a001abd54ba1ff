import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// X-Forwarded-For is believed only from the proxies TRUST_PROXY names: anyone else could pick
// their own address and walk past every per-IP limit (OWASP ASVS 4.0.3 2.2.1, anti-automation).
// supertest connects from the loopback address.
async function forgotStatuses(gw: ReturnType<typeof useGateway>) {
  const { browser, store } = pageHelpers(gw)
  const { host } = await store()
  const b = browser(host)
  const statuses: number[] = []
  for (let i = 0; i < 11; i += 1) {
    const csrf = await b.csrf('/forgot-password')
    const res = await b
      .post('/forgot-password', { _csrf: csrf, email: `nobody${i}@example.com` })
      .set('X-Forwarded-For', `203.0.113.${i + 1}`)
    statuses.push(res.status)
  }
  return statuses
}

describe('TRUST_PROXY set to a proxy range (Express)', () => {
  const gw = useGateway({ TRUST_PROXY: '10.0.0.0/8, 192.168.0.1' })

  it('trusts exactly the listed proxies', () => {
    const trusted = gw.app.get('trust proxy fn') as (address: string, hop: number) => boolean
    expect(trusted('10.1.2.3', 0)).toBe(true)
    expect(trusted('192.168.0.1', 0)).toBe(true)
    expect(trusted('192.168.0.2', 0)).toBe(false)
    expect(trusted('127.0.0.1', 0)).toBe(false)
    expect(trusted('203.0.113.9', 0)).toBe(false)
  })

  it('ignores X-Forwarded-For from a client that is not one of them', async () => {
    const statuses = await forgotStatuses(gw)
    expect(statuses.slice(0, 10).every((s) => s === 303 || s === 200)).toBe(true)
    expect(statuses[10]).toBe(429)
  })
})

describe('TRUST_PROXY naming the proxy the request comes through', () => {
  const gw = useGateway({ TRUST_PROXY: 'loopback' })

  it('takes the client address from X-Forwarded-For', async () => {
    expect(await forgotStatuses(gw)).not.toContain(429)
  })
})
