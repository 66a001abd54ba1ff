import * as client from 'openid-client'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import { authorize, relyingParty, tenantFetch, useOidcGateway } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 9: deleting an app revokes what it holds at once, not when its tokens expire.
const gw = await useOidcGateway()
const { member } = pageHelpers(gw)

describe('deleting an app (RFC 7009 2.1, OWASP ASVS 5.0 V10.4)', () => {
  it('revokes its access and refresh tokens at once', async () => {
    const email = 'gone@example.com'
    const { tenant } = await member(email)
    const doomed = await relyingParty(gw, tenant)
    const other = await relyingParty(gw, tenant, {
      name: 'API',
      type: 'web',
      redirectUris: ['https://api.example/callback'],
    })
    const { tokens } = await authorize(doomed.config, { email, password: PASSWORD })
    const verify = () =>
      tenantFetch(`${tenant.publicUrl}/auth/verify`, {
        headers: { authorization: `Bearer ${tokens!.access_token}` },
      })
    expect((await verify()).status).toBe(200)
    expect((await client.tokenIntrospection(other.config, tokens!.access_token)).active).toBe(true)

    const { key } = await createApiKey(gw.db, { tenantId: tenant.id, name: 'test' })
    const deleted = await supertest(gw.app)
      .delete(`/admin/api/v1/tenants/${tenant.slug}/apps/${doomed.app.clientId}`)
      .set('Authorization', `Bearer ${key}`)
    expect(deleted.status).toBeLessThan(300)

    expect((await verify()).status).toBe(401)
    expect((await client.tokenIntrospection(other.config, tokens!.access_token)).active).toBe(false)
    await expect(client.refreshTokenGrant(doomed.config, tokens!.refresh_token!)).rejects.toThrow()
    const left = await gw.db
      .selectFrom('oidc_artefacts')
      .select('model')
      .where('tenant_id', '=', tenant.id)
      .where('model', 'in', ['Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode'])
      .execute()
    expect(left).toEqual([])
  })
})
