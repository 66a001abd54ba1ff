import { describe, expect, it } from 'vitest'
import { useGateway } from '../support/harness.js'

describe('health probes', () => {
  const gw = useGateway()

  it('answers /healthz on any host, without a tenant', async () => {
    const res = await gw.get('whatever.invalid', '/healthz')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok' })
  })

  it('answers /readyz 200 once the database is reachable and migrated', async () => {
    const res = await gw.get('localhost', '/readyz')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'applied' } })
  })

  it('answers tenant pages 503 (not 500) while start-up has not migrated yet', async () => {
    const tenant = await gw.createTenant()
    gw.readiness.migrated = false
    try {
      const res = await gw.get(`${tenant.slug}.localhost`).set('Accept', 'application/json')
      expect(res.status).toBe(503)
      expect(res.body.error).toBe('unavailable')
      expect(res.headers['retry-after']).toBeDefined()
    } finally {
      gw.readiness.migrated = true
    }
  })
})
