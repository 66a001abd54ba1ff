import { describe, expect, it } from 'vitest'
import { acceptTerms } from '../../src/identity/terms.js'
import { tenantWithKey } from '../support/admin-api.js'
import { consoleHelpers } from '../support/console.js'
import { useGateway } from '../support/harness.js'

// Issue 11, the console's Terms page: GET /admin/api/v1/tenants/{slug}/terms/versions lists every
// version with how many members accepted it; console calls need the CSRF header, and another
// tenant's versions answer 404.
const gw = useGateway()
const h = consoleHelpers(gw)

const membershipOf = (tenantId: string) =>
  gw.db
    .selectFrom('memberships')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow()

describe('Terms versions with their acceptances', () => {
  it('lists every version newest first, each with its own count of acceptances', async () => {
    const { tenant, call } = await h.adminConsole()
    expect((await call('get', `/tenants/${tenant.slug}/terms/versions`)).body).toEqual({
      versions: [],
    })
    for (const title of ['First terms', 'Second terms'])
      expect(
        (await call('put', `/tenants/${tenant.slug}/terms`).send({ title, text: 'Be nice.' }))
          .status,
      ).toBe(201)
    const { id } = await membershipOf(tenant.id)
    await acceptTerms(gw.db, { tenantId: tenant.id, membershipId: id, version: 2 })

    const res = await call('get', `/tenants/${tenant.slug}/terms/versions`)
    expect(res.status).toBe(200)
    expect(res.body.versions).toEqual([
      {
        version: 2,
        title: 'Second terms',
        documentUrl: null,
        publishedAt: expect.any(String),
        acceptances: 1,
      },
      {
        version: 1,
        title: 'First terms',
        documentUrl: null,
        publishedAt: expect.any(String),
        acceptances: 0,
      },
    ])
  })

  it("counts one tenant's acceptances only, and answers another tenant's slug with 404", async () => {
    const mine = await h.adminConsole('mine@example.com')
    const other = await tenantWithKey(gw)
    await other.api('put', '/terms').send({ title: 'Their terms', text: 'Theirs.' })
    await mine.call('put', `/tenants/${mine.tenant.slug}/terms`).send({ title: 'Ours', text: 'x' })
    const res = await mine.call('get', `/tenants/${other.tenant.slug}/terms/versions`)
    expect(res.status).toBe(404)
    expect(res.body.error).toBe('not_found')
    const own = await mine.call('get', `/tenants/${mine.tenant.slug}/terms/versions`)
    expect(own.body.versions.map((v: { title: string }) => v.title)).toEqual(['Ours'])
    // An API key reads the same list.
    const byKey = await other.api('get', '/terms/versions')
    expect(byKey.status).toBe(200)
    expect(byKey.body.versions).toMatchObject([{ version: 1, title: 'Their terms' }])
  })

  it('refuses a console call without the CSRF header', async () => {
    const { tenant, call } = await h.adminConsole()
    const res = await call('get', `/tenants/${tenant.slug}/terms/versions`, {
      'X-CSRF-Token': undefined,
    })
    expect(res.status).toBe(403)
    expect(res.body.error).toBe('forbidden')
  })
})

describe('every action of the console pages needs the CSRF header', () => {
  it('refuses each page call without it, and changes nothing', async () => {
    const { tenant, call } = await h.adminConsole()
    const t = `/tenants/${tenant.slug}`
    const { id: invitationId } = await h.invite(tenant, 'pending@example.com')
    const app = await call('post', `${t}/apps`).send({
      name: 'Shop',
      type: 'web',
      redirectUris: ['https://shop.example.com/cb'],
    })
    expect(app.status).toBe(201)
    const clientId = app.body.clientId as string
    const calls: [Parameters<typeof call>[0], string, object?][] = [
      ['get', `${t}/invitations`],
      ['post', `${t}/invitations`, { emails: 'x@example.com' }],
      ['post', `${t}/invitations/${invitationId}/resend`],
      ['post', `${t}/invitations/${invitationId}/reinvite`],
      ['delete', `${t}/invitations/${invitationId}`],
      ['get', `${t}/apps`],
      ['post', `${t}/apps`, { name: 'Other', type: 'machine' }],
      ['post', `${t}/apps/${clientId}/secret`],
      ['delete', `${t}/apps/${clientId}`],
      ['get', `${t}/email-templates/invitation/en`],
      ['put', `${t}/email-templates/invitation/en`, { subject: 's', text: 't', html: 'h' }],
      ['post', `${t}/email-templates/invitation/en/preview`, {}],
      ['delete', `${t}/email-templates/invitation/en`],
      ['get', `${t}/terms/versions`],
      ['put', `${t}/terms`, { title: 'T', text: 'x' }],
      ['get', t],
      ['patch', `${t}/settings`, { resendCooldown: '1h' }],
      ['get', `${t}/audit`],
      ['get', `${t}/directories`],
    ]
    for (const [method, path, body] of calls) {
      const req = call(method, path, { 'X-CSRF-Token': undefined })
      const res = body ? await req.send(body) : await req
      expect([method, path, res.status]).toEqual([method, path, 403])
    }
    // Nothing happened: the invitation pending, the app and its secret as they were, no Terms.
    const invitation = await call('get', `${t}/invitations/${invitationId}`)
    expect(invitation.body).toMatchObject({ status: 'pending', sendCount: 1 })
    expect((await call('get', `${t}/apps`)).body.apps).toHaveLength(1)
    expect((await call('get', `${t}/terms/versions`)).body.versions).toEqual([])
    expect((await call('get', t)).body.settings.resendCooldown).toBe('24h')
  })
})
