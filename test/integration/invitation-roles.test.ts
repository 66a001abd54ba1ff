import { describe, expect, it } from 'vitest'
import { tenantWithKey as tenantWithApiKey } from '../support/admin-api.js'
import { useGateway } from '../support/harness.js'

// Issue 9: a role is copied into forward auth's X-Auth-Roles header; it is checked where it enters.
const gw = useGateway()

async function invite(role: string) {
  const { api } = await tenantWithApiKey(gw)
  return api('post', '/invitations').send({ invitees: [{ email: 'ada@example.com' }], role })
}

describe('roles (OWASP ASVS 5.0 V1.2.x output encoding, RFC 9110 5.5 field values)', () => {
  it.each([
    ['a line break', 'viewer\r\nX-Auth-Roles: admin'],
    ['a bare line feed', 'viewer\nadmin'],
    ['a comma (two roles in X-Auth-Roles)', 'viewer,admin'],
    ['a space', 'view er'],
    ['a non-ASCII letter', 'prüfer'],
    ['too long', 'r'.repeat(51)],
    ['empty', ''],
  ])('refuses a role with %s: 400 naming the field', async (_, role) => {
    const res = await invite(role)
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ error: 'invalid_request' })
    expect(Object.keys(res.body.details.fields)).toEqual(['role'])
  })

  it.each(['viewer', 'store-admin', 'billing.read', 'org:owner', 'Manager_2'])(
    'accepts the role %j',
    async (role) => {
      // Issue 11: the role comes from the tenant's catalogue, which has it after this.
      const { api } = await tenantWithApiKey(gw)
      await api('post', '/roles').send({ name: role }).expect(201)
      const res = await api('post', '/invitations').send({
        invitees: [{ email: 'ada@example.com' }],
        role,
      })
      expect(res.status).toBe(200)
      expect(res.body.counts.invited).toBe(1)
    },
  )
})
