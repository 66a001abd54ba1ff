import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { acceptTerms } from '../../src/identity/terms.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { tenantWithKey } from '../support/admin-api.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'

// Issue 11, "Terms versions with acceptances": GET .../terms/versions/{version}/acceptances says
// who accepted a version (member id, email, name, when), newest first, keyset-paged; a tenant
// sees its own acceptances only (OWASP ASVS 5.0 V8.4.1).
const gw = useGateway()

const getAs = (key: string, path: string) =>
  supertest(gw.app).get(`/admin/api/v1${path}`).set('Authorization', `Bearer ${key}`)

type Acceptance = { memberId: string; email: string; name: string | null; acceptedAt: string }

async function membersOf(tenant: Tenant, people: { email: string; firstName?: string }[]) {
  await inviteMembers(gw.db, tenant, { invitees: people }, { secretKey: gw.config.secretKey })
  const rows = await gw.db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.id', 'u.email'])
    .where('m.tenant_id', '=', tenant.id)
    .execute()
  return new Map(rows.map((r) => [r.email, r.id]))
}

const accept = (tenant: Tenant, membershipId: string, version: number, at: string) =>
  acceptTerms(gw.db, { tenantId: tenant.id, membershipId, version }, new Date(at))

describe('who accepted a Terms version', () => {
  it('pages through every acceptance of the version, newest first, each once', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    expect((await api('put', '/terms').send({ title: 'v1', text: 'One.' })).status).toBe(201)
    const emails = ['a', 'b', 'c', 'd', 'e'].map((n) => `${n}@example.com`)
    const ids = await membersOf(
      tenant,
      emails.map((email, i) => (i === 0 ? { email, firstName: 'Ada' } : { email })),
    )
    // c and d at the same instant: the membership id breaks the tie, no row lost between pages.
    const times = ['2026-01-01T10:00:00Z', '2026-01-02T10:00:00Z', '2026-01-03T10:00:00.123Z']
    for (const [i, email] of emails.entries())
      await accept(tenant, ids.get(email)!, 1, times[Math.min(i, 2)]!)
    expect((await api('put', '/terms').send({ title: 'v2', text: 'Two.' })).status).toBe(201)
    await accept(tenant, ids.get('a@example.com')!, 2, '2026-02-01T10:00:00Z')

    const seen: Acceptance[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`
      const res = await api('get', `/terms/versions/1/acceptances${query}`)
      expect(res.status).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.items)
      cursor = res.body.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen.map((s) => s.email).sort()).toEqual(emails)
    expect(new Set(seen.map((s) => s.memberId)).size).toBe(5)
    const at = seen.map((s) => s.acceptedAt)
    expect([...at].sort().reverse()).toEqual(at)
    expect(at.slice(0, 3)).toEqual(Array(3).fill('2026-01-03T10:00:00.123Z'))
    expect(seen.at(-1)).toEqual({
      memberId: ids.get('a@example.com'),
      email: 'a@example.com',
      name: 'Ada',
      acceptedAt: '2026-01-01T10:00:00.000Z',
    })

    const second = await api('get', '/terms/versions/2/acceptances')
    expect(second.body).toEqual({
      items: [
        {
          memberId: ids.get('a@example.com'),
          email: 'a@example.com',
          name: 'Ada',
          acceptedAt: '2026-02-01T10:00:00.000Z',
        },
      ],
      nextCursor: null,
    })
  })

  it("answers 404 for another tenant's slug or version, and lists the tenant's own acceptances only", async () => {
    const mine = await tenantWithKey(gw)
    const theirs = await tenantWithKey(gw)
    await mine.api('put', '/terms').send({ title: 'Ours', text: 'x' })
    await mine.api('put', '/terms').send({ title: 'Ours again', text: 'y' })
    await theirs.api('put', '/terms').send({ title: 'Theirs', text: 'z' })
    const ours = await membersOf(mine.tenant, [{ email: 'me@example.com' }])
    const them = await membersOf(theirs.tenant, [{ email: 'them@example.com' }])
    await accept(theirs.tenant, them.get('them@example.com')!, 1, '2026-01-01T00:00:00Z')

    // Both tenants have a version 1: each sees only its own acceptances of it.
    expect((await mine.api('get', '/terms/versions/1/acceptances')).body).toEqual({
      items: [],
      nextCursor: null,
    })
    const theirList = await theirs.api('get', '/terms/versions/1/acceptances')
    expect(theirList.body.items.map((i: Acceptance) => i.email)).toEqual(['them@example.com'])
    expect(ours.size).toBe(1)

    // Their key on our slug, and our version 2 that they never published: 404.
    const bySlug = await getAs(
      theirs.key,
      `/tenants/${mine.tenant.slug}/terms/versions/1/acceptances`,
    )
    expect(bySlug.status).toBe(404)
    expect(bySlug.body.error).toBe('not_found')
    const byVersion = await theirs.api('get', '/terms/versions/2/acceptances')
    expect(byVersion.status).toBe(404)
    expect(byVersion.body.error).toBe('not_found')
    expect((await mine.api('get', '/terms/versions/2/acceptances')).status).toBe(200)
  })

  it('refuses a cursor it did not hand out, and a version that is not a number', async () => {
    const { api } = await tenantWithKey(gw)
    await api('put', '/terms').send({ title: 'v1', text: 'One.' })
    const bad = await api('get', '/terms/versions/1/acceptances?cursor=bm90LWEtY3Vyc29y')
    expect(bad.status).toBe(400)
    expect(bad.body.details.fields.cursor).toBeDefined()
    expect((await api('get', '/terms/versions/one/acceptances')).status).toBe(400)
  })
})
