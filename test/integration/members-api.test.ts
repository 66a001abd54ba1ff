import { describe, expect, it } from 'vitest'
import { tenantWithKey } from '../support/admin-api.js'
import { declareCatalogue } from '../support/catalogues.js'
import { useGateway } from '../support/harness.js'
import { addPeople } from '../support/members.js'
import { startSession } from '../../src/identity/sessions.js'
import * as q from '../../src/members/members.queries.js'
import { filtersOf, MemberListQuery } from '../../src/members/search.js'

// Issue 11: the members API. Each test makes its own tenant.
const gw = useGateway()

type Item = { id: string; email: string; name: string }
const emails = (body: { items: Item[] }) => body.items.map((i) => i.email)

describe('members: search', () => {
  it('finds by prefix of email, first name, last name, full name, phone and external id', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await addPeople(gw.db, tenant, [
      { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', phone: '+32470111' },
      { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', externalId: 'EMP-7' },
      { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' },
    ])
    const search = async (q: string, match = 'prefix') =>
      emails((await api('get', '/members').query({ q, match }).expect(200)).body)
    expect(await search('a')).toEqual(['ada@example.com', 'alan@example.com'])
    expect(await search('LOVE')).toEqual(['ada@example.com'])
    expect(await search('grace hop')).toEqual(['grace@example.com'])
    expect(await search('+3247')).toEqual(['ada@example.com'])
    expect(await search('emp-')).toEqual(['grace@example.com'])
    expect(await search('uring', 'contains')).toEqual(['alan@example.com'])
    expect(await search('example.com', 'contains')).toHaveLength(3)
  })

  it('follows edits: a rename, an email change (as an SSO refresh writes it), a removal', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [id] = await addPeople(gw.db, tenant, [
      { email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' },
      { email: 'alan@example.com', firstName: 'Alan', lastName: 'Turing' },
    ])
    const search = async (q: string) =>
      emails((await api('get', '/members').query({ q }).expect(200)).body)
    expect(await search('lov')).toEqual(['ada@example.com'])
    await api('patch', `/members/${id}`)
      .send({ firstName: 'Augusta', lastName: 'King' })
      .expect(200)
    // Short texts read the stored prefixes, longer ones the fields: both follow the rename.
    for (const gone of ['lov', 'lovelace', 'ada l', 'l']) expect(await search(gone)).toEqual([])
    for (const found of ['k', 'kin', 'king', 'au', 'augusta k', 'ada@'])
      expect(await search(found)).toEqual(['ada@example.com'])
    await gw.db
      .updateTable('users')
      .set({ email: 'countess@example.org', email_key: 'countess@example.org' })
      .where('email_key', '=', 'ada@example.com')
      .execute()
    expect(await search('ada')).toEqual([])
    expect(await search('cou')).toEqual(['countess@example.org'])
    expect(await search('a')).toEqual(['alan@example.com', 'countess@example.org'])
    await api('delete', `/members/${id}`).expect(204)
    expect(await search('cou')).toEqual([])
    expect(await search('a')).toEqual(['alan@example.com'])
  })

  it.each([
    ['%', 'a LIKE wildcard'],
    ['_', 'a one-character LIKE wildcard'],
    ['\\', 'a backslash (the LIKE escape)'],
    ["'", 'a quote'],
    ['.*', 'a regular expression'],
    ["'; drop table users; --", 'SQL'],
  ])('treats %j (%s) as plain text', async (meta) => {
    const { tenant, api } = await tenantWithKey(gw)
    await addPeople(gw.db, tenant, [
      { email: 'plain@example.com', firstName: 'Plain' },
      { email: 'odd@example.com', firstName: `x${meta}y`, lastName: 'Odd' },
    ])
    for (const match of ['prefix', 'contains']) {
      const hit = await api('get', '/members')
        .query({ q: `x${meta}y`, match })
        .expect(200)
      expect(emails(hit.body)).toEqual(['odd@example.com'])
      const alone = await api('get', '/members').query({ q: meta, match }).expect(200)
      expect(emails(alone.body)).not.toContain('plain@example.com')
    }
    expect((await api('get', '/members').expect(200)).body.total).toBe(2)
  })
})

describe('members: filters, sort, paging, total', () => {
  it('filters by kind, status, group, role, organization and directory', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, {
      roles: ['manager'],
      groups: ['Sales'],
      organizations: [{ name: 'Shop 1', kind: 'customer' }],
    })
    await addPeople(gw.db, tenant, [
      { email: 'a@example.com', role: 'manager', organization: 'Shop 1' },
      { email: 'b@example.com', groups: ['Everybody', 'Sales'] },
      { email: 'c@example.com', kind: 'guest', status: 'disabled' },
    ])
    const filter = async (query: Record<string, string>) =>
      emails((await api('get', '/members').query(query).expect(200)).body)
    expect(await filter({ kind: 'guest' })).toEqual(['c@example.com'])
    expect(await filter({ status: 'disabled' })).toEqual(['c@example.com'])
    expect(await filter({ group: 'Sales' })).toEqual(['b@example.com'])
    expect(await filter({ role: 'manager' })).toEqual(['a@example.com'])
    expect(await filter({ organization: 'Shop 1' })).toEqual(['a@example.com'])
    expect(await filter({ directory: tenant.databaseDirectoryId! })).toHaveLength(3)
    await api('get', '/members').query({ status: 'gone' }).expect(400)
    await api('get', '/members').query({ unknown: '1' }).expect(400)
  })

  it.each(['name', '-name', 'email', '-email', 'created', '-created'])(
    'pages by %s with a cursor: every member once, in order, stable while rows are added',
    async (sort) => {
      const { tenant, api } = await tenantWithKey(gw)
      const base = Date.parse('2026-01-01T00:00:00Z')
      // Same names and same creation instants on purpose: ties are broken by id.
      await addPeople(
        gw.db,
        tenant,
        Array.from({ length: 23 }, (_, i) => ({
          email: `p${String(i).padStart(2, '0')}@example.com`,
          firstName: i % 3 === 0 ? 'Same' : `N${i}`,
          createdAt: new Date(base + Math.floor(i / 4) * 1000),
        })),
      )
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const res = await api('get', '/members')
          .query({ sort, limit: 5, ...(cursor && { cursor }) })
          .expect(200)
        seen.push(...emails(res.body))
        cursor = res.body.nextCursor ?? undefined
        if (pages === 1) await addPeople(gw.db, tenant, [{ email: 'zz-late@example.com' }])
        pages++
      } while (cursor)
      const once = seen.filter((e) => e !== 'zz-late@example.com')
      expect(new Set(once).size).toBe(23)
      expect(once).toHaveLength(23)
      const full = emails((await api('get', '/members').query({ sort, limit: 200 })).body)
      expect(seen).toEqual(full.filter((e) => seen.includes(e)))
    },
  )

  it('refuses a cursor of another sort, or a forged one', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await addPeople(gw.db, tenant, [{ email: 'a@example.com' }, { email: 'b@example.com' }])
    const first = await api('get', '/members').query({ sort: 'email', limit: 1 }).expect(200)
    const cursor = first.body.nextCursor
    await api('get', '/members').query({ sort: 'name', cursor }).expect(400)
    await api('get', '/members').query({ cursor: 'not-a-cursor' }).expect(400)
    const forged = Buffer.from(JSON.stringify({ s: 'email', k: "x' or 1=1", i: 'x' })).toString(
      'base64url',
    )
    await api('get', '/members').query({ sort: 'email', cursor: forged }).expect(400)
  })

  it('counts exactly while small', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await addPeople(gw.db, tenant, [{ email: 'a@example.com' }, { email: 'b@example.com' }])
    const res = await api('get', '/members').query({ limit: 1 }).expect(200)
    expect(res.body).toMatchObject({ total: 2, totalIsEstimate: false })
  })
})

describe('members: one, edit, disable, remove, convert', () => {
  it('shows every field, and edits names, phone, job title, locale, role, groups, products, organization', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, {
      roles: ['manager'],
      groups: ['Sales'],
      organizations: [{ name: 'Shop 1', kind: 'customer' }],
      products: ['crm'],
    })
    const [id] = await addPeople(gw.db, tenant, [
      { email: 'ada@example.com', externalId: 'E-1', phone: '+1 555' },
    ])
    const shown = await api('get', `/members/${id}`).expect(200)
    expect(shown.body).toMatchObject({
      id,
      email: 'ada@example.com',
      phone: '+1 555',
      externalId: 'E-1',
      jobTitle: null,
      kind: 'member',
      status: 'active',
      groups: ['Everybody'],
      directory: { id: tenant.databaseDirectoryId, kind: 'database' },
      lastSignInAt: null,
    })
    const edited = await api('patch', `/members/${id}`)
      .send({
        firstName: 'Ada',
        lastName: 'Lovelace',
        phone: '+32 470',
        jobTitle: 'Engineer',
        locale: 'fr',
        role: 'manager',
        groups: ['sales'],
        products: ['crm'],
        organization: 'shop 1',
      })
      .expect(200)
    expect(edited.body).toMatchObject({
      name: 'Ada Lovelace',
      phone: '+32 470',
      jobTitle: 'Engineer',
      locale: 'fr',
      role: 'manager',
      groups: ['Everybody', 'Sales'],
      products: ['crm'],
      organization: 'Shop 1',
    })
    await api('patch', `/members/${id}`).send({ email: 'x@example.com' }).expect(400)
    for (const [field, value] of [
      ['role', 'pilot'],
      ['groups', ['Nobody']],
      ['products', ['nothing']],
      ['organization', 'Acme'],
    ] as const) {
      const res = await api('patch', `/members/${id}`)
        .send({ [field]: value })
        .expect(400)
      expect(Object.keys(res.body.details.fields)).toEqual([field])
    }
  })

  it('applies the tenant rules: a group besides Everybody, an organization for some roles (seed 003)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, {
      roles: ['manager'],
      groups: ['Learners'],
      organizations: [{ name: 'Store 9', kind: 'customer' }],
    })
    await api('patch', '/settings')
      .send({ memberRules: { requireGroup: true, organizationRequiredFor: ['manager'] } })
      .expect(200)
    const [id] = await addPeople(gw.db, tenant, [{ email: 'm@example.com' }])
    const noGroup = await api('patch', `/members/${id}`).send({ groups: [] }).expect(400)
    expect(noGroup.body.message).toContain('at least one group')
    const noStore = await api('patch', `/members/${id}`)
      .send({ role: 'manager', groups: ['Learners'] })
      .expect(400)
    expect(noStore.body.message).toContain('requires an organization')
    await api('patch', `/members/${id}`)
      .send({ role: 'manager', groups: ['Learners'], organization: 'Store 9' })
      .expect(200)
    const invited = await api('post', '/invitations').send({
      invitees: [{ email: 'new@example.com' }],
      role: 'manager',
      groups: ['Learners'],
    })
    expect(invited.body.results[0]).toMatchObject({ status: 'invalid' })
    expect(invited.body.results[0].reason).toContain('requires an organization')
  })

  it('keeps Everybody: every member is in it, it is neither renamed nor deleted', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [id] = await addPeople(gw.db, tenant, [{ email: 'a@example.com', groups: [] }])
    const groups = (await api('get', '/groups').expect(200)).body.groups
    const everybody = groups.find((g: { name: string }) => g.name === 'Everybody')
    expect(everybody).toMatchObject({ builtin: true })
    await api('patch', `/groups/${everybody.id}`).send({ name: 'All' }).expect(409)
    await api('delete', `/groups/${everybody.id}`).expect(409)
    const edited = await api('patch', `/members/${id}`).send({ groups: [] }).expect(200)
    expect(edited.body.groups).toEqual(['Everybody'])
  })

  it('renames a group in its members, and takes a deleted group off them', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const sales = (await api('post', '/groups').send({ name: 'Sales' }).expect(201)).body
    await api('post', '/groups').send({ name: 'sales' }).expect(409)
    const [id] = await addPeople(gw.db, tenant, [
      { email: 'a@example.com', groups: ['Everybody', 'Sales'] },
    ])
    await api('patch', `/groups/${sales.id}`).send({ name: 'Sellers' }).expect(200)
    expect((await api('get', `/members/${id}`)).body.groups).toEqual(['Everybody', 'Sellers'])
    expect((await api('get', `/groups/${sales.id}`)).body.memberCount).toBe(1)
    await api('delete', `/groups/${sales.id}`).expect(204)
    expect((await api('get', `/members/${id}`)).body.groups).toEqual(['Everybody'])
  })

  it('keeps the last admin: no demotion, disabling or removal of the only active admin', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [admin, other] = await addPeople(gw.db, tenant, [
      { email: 'admin@example.com', role: 'admin' },
      { email: 'other@example.com', role: 'admin', status: 'disabled' },
    ])
    await api('patch', `/members/${admin}`).send({ role: 'user' }).expect(409)
    await api('post', `/members/${admin}/disable`).expect(409)
    await api('delete', `/members/${admin}`).expect(409)
    await api('post', `/members/${other}/enable`).expect(200)
    await api('patch', `/members/${admin}`).send({ role: 'user' }).expect(200)
    await api('post', `/members/${other}/disable`).expect(409)
  })

  it('removes a member from the tenant, and the identity with its last membership', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [id] = await addPeople(gw.db, tenant, [{ email: 'gone@example.com' }])
    await api('delete', `/members/${id}`).expect(204)
    await api('get', `/members/${id}`).expect(404)
    await api('delete', `/members/${id}`).expect(404)
    const user = await gw.db
      .selectFrom('users')
      .select('id')
      .where('directory_id', '=', tenant.databaseDirectoryId!)
      .where('email_key', '=', 'gone@example.com')
      .executeTakeFirst()
    expect(user).toBeUndefined()
  })

  it('converts a guest to a member, once', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [id] = await addPeople(gw.db, tenant, [{ email: 'g@example.com', kind: 'guest' }])
    expect((await api('post', `/members/${id}/convert`).expect(200)).body.kind).toBe('member')
    await api('post', `/members/${id}/convert`).expect(409)
  })
})

describe('catalogues in invitations', () => {
  it('makes an invitation naming an unknown role, group, organization or product an invalid row', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, {
      roles: ['seller'],
      groups: ['Partners'],
      organizations: [{ name: 'Partner Inc', kind: 'seller' }],
      products: ['crm'],
    })
    const good = {
      role: 'seller',
      groups: ['Partners'],
      organization: 'Partner Inc',
      products: ['crm'],
    }
    const cases: [Record<string, unknown>, string][] = [
      [{ role: 'pilot' }, 'no role "pilot"'],
      [{ groups: ['Nobody'] }, 'no group "Nobody"'],
      [{ organization: 'Acme' }, 'no organization "Acme"'],
      [{ products: ['erp'] }, 'product "erp"'],
    ]
    for (const [change, reason] of cases) {
      const res = await api('post', '/invitations')
        .send({
          invitees: [{ email: 'x@example.com' }, { email: 'y@example.com' }],
          ...good,
          ...change,
        })
        .expect(200)
      expect(res.body.results).toHaveLength(2)
      for (const r of res.body.results) expect(r).toMatchObject({ status: 'invalid' })
      expect(res.body.results[0].reason).toContain(reason)
    }
    const ok = await api('post', '/invitations')
      .send({ invitees: [{ email: 'x@example.com' }], ...good })
      .expect(200)
    expect(ok.body.results[0]).toMatchObject({ status: 'invited' })
  })
})

describe("another tenant's members (OWASP ASVS 8.4.1)", () => {
  it('answers 404 through every route for a member id of another tenant', async () => {
    const a = await tenantWithKey(gw)
    const b = await tenantWithKey(gw)
    await declareCatalogue(gw.db, a.tenant.id, { products: ['crm'] })
    const [id] = await addPeople(gw.db, a.tenant, [
      { email: 'a-only@example.com', kind: 'guest', role: 'admin' },
    ])
    const app = (await a.api('get', '/apps').expect(200)).body.apps[0].clientId
    const group = (await a.api('post', '/groups').send({ name: 'G' }).expect(201)).body.id
    const role = (await a.api('post', '/roles').send({ name: 'r' }).expect(201)).body.id
    const org = (
      await a.api('post', '/organizations').send({ name: 'O', kind: 'seller' }).expect(201)
    ).body.id
    const attempts: [Parameters<typeof b.api>[0], string, object?][] = [
      ['get', `/members/${id}`],
      ['patch', `/members/${id}`, { firstName: 'X' }],
      ['post', `/members/${id}/disable`],
      ['post', `/members/${id}/enable`],
      ['post', `/members/${id}/convert`],
      ['delete', `/members/${id}`],
      ['put', `/members/${id}/apps/${app}`],
      ['delete', `/members/${id}/apps/${app}`],
      ['get', `/groups/${group}`],
      ['patch', `/groups/${group}`, { name: 'H' }],
      ['delete', `/groups/${group}`],
      ['patch', `/roles/${role}`, { name: 's' }],
      ['delete', `/roles/${role}`],
      ['patch', `/organizations/${org}`, { name: 'P' }],
      ['delete', `/organizations/${org}`],
    ]
    for (const [method, path, body] of attempts) {
      const res = await b.api(method, path).send(body)
      expect({ path, method, status: res.status }).toEqual({ path, method, status: 404 })
    }
    // And through b's key on a's slug: the tenant itself is 404.
    const cross = await b.api('get', '/members')
    expect(cross.status).toBe(200)
    expect(emails(cross.body)).toEqual([])
    expect((await a.api('get', `/members/${id}`)).status).toBe(200)
    expect((await a.api('get', `/members/${id}`)).body.kind).toBe('guest')
  })
})

describe('members: the last sign-in', () => {
  it('is written with each session and outlives it (disabling ends every session)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const [id] = await addPeople(gw.db, tenant, [{ email: 'ada@example.com', firstName: 'Ada' }])
    const shown = async () =>
      (await api('get', `/members/${id}`).expect(200)).body.lastSignInAt as string | null
    expect(await shown()).toBeNull()
    const first = new Date(Date.now() - 3_600_000)
    const second = new Date(Date.now() - 60_000)
    await startSession(gw.db, { tenantId: tenant.id, membershipId: id!, pending: null }, first)
    expect(await shown()).toBe(first.toISOString())
    await startSession(gw.db, { tenantId: tenant.id, membershipId: id!, pending: null }, second)
    expect(await shown()).toBe(second.toISOString())
    await api('post', `/members/${id}/disable`).expect(200)
    const left = await gw.db
      .selectFrom('sessions')
      .select('membership_id')
      .where('membership_id', '=', id!)
      .execute()
    expect(left).toEqual([])
    expect(await shown()).toBe(second.toISOString())
  })
})

describe('members: a prefix search with filters', () => {
  it('walks the stored prefixes to the same pages as finding and sorting the matches', async () => {
    const { tenant } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, { roles: ['manager'], groups: ['Sales'] })
    const people = Array.from({ length: 40 }, (_, i) => ({
      email: `p${String(i).padStart(2, '0')}@example.com`,
      firstName: ['Ann', 'Anton', 'Bea', 'Andrea'][i % 4]!,
      lastName: `Lee${i % 7}`,
      kind: i % 3 === 0 ? ('guest' as const) : ('member' as const),
      role: i % 5 === 0 ? 'manager' : 'user',
      groups: i % 2 === 0 ? ['Sales'] : [],
    }))
    await addPeople(gw.db, tenant, people)
    for (const query of [
      { q: 'an', kind: 'guest' },
      { q: 'a', group: 'Sales' },
      { q: 'ann', role: 'manager', sort: '-name' },
      { q: 'anto', kind: 'member' },
      { q: 'lee3', group: 'Sales' },
    ] as const) {
      const parsed = MemberListQuery.parse({ ...query, limit: 4 })
      const filters = filtersOf(parsed)
      const descending = parsed.sort.startsWith('-')
      const walk = async (after?: q.Keyset) =>
        q.listPrefixPage(gw.db, tenant.id, {
          text: parsed.q!,
          escaped: filters.prefix!,
          filters,
          descending,
          limit: 4,
          ...(after && { after }),
        })
      const sorted = async (after?: q.Keyset) =>
        (
          await q.listMemberPage(gw.db, tenant.id, {
            filters,
            sort: 'name',
            descending,
            limit: 4,
            sortAfterMatching: true,
            ...(after && { after }),
          })
        ).rows
      // Page by page to the end: the same people in the same order, cursors interchangeable.
      let after: q.Keyset | undefined
      let seen = 0
      for (;;) {
        const [a, b] = await Promise.all([walk(after), sorted(after)])
        expect(
          a.map((r) => r.email),
          JSON.stringify(query),
        ).toEqual(b.map((r) => r.email))
        seen += a.length
        if (a.length < 4) break
        after = { key: a.at(-1)!.sort_key, id: a.at(-1)!.sort_id }
      }
      expect(seen, JSON.stringify(query)).toBeGreaterThan(0)
    }
  })
})
