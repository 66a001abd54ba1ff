import type { KyselyPlugin } from 'kysely'
import supertest from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import { createApp } from '../../src/app.js'
import { dbOn } from '../../src/db/database.js'
import { useGateway } from '../support/harness.js'

// The admin API's callers (scripts, the console) must tell "wrong key / no such tenant" from
// "try again later": a database outage answers 503, never 401 or 404 (OWASP ASVS 16.5.1, the
// failure is not reported as a security decision).
describe('admin API while the database is down', () => {
  const gw = useGateway()
  // Nothing listens on port 1: every connection is refused at once, as when PostgreSQL is stopped.
  const stopped = dbOn({ url: 'postgres://postgres@127.0.0.1:1/gateway' })
  afterAll(() => stopped.destroy())

  const appOn = (db: typeof gw.db) =>
    createApp({
      config: gw.config,
      db,
      log: gw.app.locals.log,
      readiness: gw.readiness,
      hasher: gw.hasher,
    })

  it('answers 503 with a clear JSON error at the key check', async () => {
    const key = `gwk_${'a'.repeat(43)}`
    const res = await supertest(appOn(stopped))
      .get('/admin/api/v1/tenants')
      .set('Authorization', `Bearer ${key}`)
    expect(res.status).toBe(503)
    expect(res.body).toEqual({
      error: 'unavailable',
      message: 'The service is temporarily unavailable. Please try again in a moment.',
      details: null,
    })
    expect(res.headers['retry-after']).toBeDefined()
  })

  it('answers 503, not 404, when the tenant lookup after the key check fails', async () => {
    const tenant = await gw.createTenant()
    const { key } = await createApiKey(gw.db, { tenantId: null, name: 'outage' })
    // The key check still reaches the database; every query that reads tenants is refused.
    const tenantsDown: KyselyPlugin = {
      transformQuery(args) {
        if (JSON.stringify(args.node).includes('"tenants"'))
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
            code: 'ECONNREFUSED',
          })
        return args.node
      },
      transformResult: async (args) => args.result,
    }
    const res = await supertest(appOn(gw.db.withPlugin(tenantsDown)))
      .get(`/admin/api/v1/tenants/${tenant.slug}`)
      .set('Authorization', `Bearer ${key}`)
    expect(res.status).toBe(503)
    expect(res.body.error).toBe('unavailable')
  })
})
