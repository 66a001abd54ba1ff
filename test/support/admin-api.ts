import supertest from 'supertest'
import { createApiKey } from '../../src/admin/api-keys.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import type { Gateway } from './harness.js'

type Method = 'get' | 'post' | 'delete' | 'patch' | 'put'

/**
 * A new tenant (made with `input`) and a call of its admin API
 * (`/admin/api/v1/tenants/{slug}{path}`) with its own key.
 */
export async function tenantWithKey(
  gw: Gateway,
  input?: Parameters<Gateway['createTenant']>[0],
): Promise<{
  tenant: Tenant
  key: string
  api: (method: Method, path: string) => supertest.Test
}> {
  const tenant = await gw.createTenant(input)
  const { key } = await createApiKey(gw.db, { tenantId: tenant.id, name: 'test' })
  const api = (method: Method, path: string) =>
    supertest(gw.app)
      [method](`/admin/api/v1/tenants/${tenant.slug}${path}`)
      .set('Authorization', `Bearer ${key}`)
  return { tenant, key, api }
}
