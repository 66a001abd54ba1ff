import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { createApiKey } from '../../src/admin/api-keys.js'
import { recordAudit } from '../../src/audit/audit.js'
import { tenantWithKey } from '../support/admin-api.js'
import { samlInput } from '../support/directory-inputs.js'
import { useGateway } from '../support/harness.js'

// Issue 11, audit log: every admin change through the API is an event saying who (the key),
// what, to which subject, from where (the request's address); read back with filters and
// keyset pages; a tenant's key reads only its own tenant's log.

const gw = useGateway({ TRUST_PROXY: 'loopback' })
const FROM = '203.0.113.7'

async function admin() {
  const t = await tenantWithKey(gw)
  const keyId = (
    await gw.db
      .selectFrom('api_keys')
      .select('id')
      .where('tenant_id', '=', t.tenant.id)
      .executeTakeFirstOrThrow()
  ).id
  const call = (method: Parameters<typeof t.api>[0], path: string) =>
    t.api(method, path).set('X-Forwarded-For', FROM)
  const audit = async (query: Record<string, string | number> = {}) => {
    const res = await t.api('get', '/audit').query(query)
    expect(res.status).toBe(200)
    return res.body as { events: AuditJson[]; nextCursor: string | null }
  }
  return { ...t, keyId, call, audit }
}

type AuditJson = {
  id: string
  tenantId: string | null
  at: string
  actor: { kind: string; id: string | null; name: string | null }
  action: string
  subject: { kind: string; id: string | null; label: string | null } | null
  ip: string | null
  details: Record<string, unknown>
}

describe('what the admin API records', () => {
  it('records each change with the key, the subject and the address it came from', async () => {
    const a = await admin()
    const { tenant, call } = a
    const expectOk = async (req: supertest.Test) => {
      const res = await req
      expect(res.status, res.text).toBeLessThan(300)
      return res
    }
    await expectOk(call('patch', '/settings').send({ invitationTtl: '20d' }))
    const host = `h-${tenant.slug}.corp.example`
    await expectOk(call('post', '/hosts').send({ host }))
    await expectOk(call('delete', `/hosts/${host}`))
    const invited = await expectOk(
      call('post', '/invitations').send({ invitees: [{ email: 'ada@example.com' }] }),
    )
    const invitationId = invited.body.results[0].invitationId as string
    await gw.db
      .updateTable('invitations')
      .set({ last_sent_at: new Date(Date.now() - 2 * 86_400_000) })
      .where('id', '=', invitationId)
      .execute()
    await expectOk(call('post', `/invitations/${invitationId}/resend`))
    await expectOk(call('post', `/invitations/${invitationId}/reinvite`))
    await expectOk(call('delete', `/invitations/${invitationId}`))
    await expectOk(call('put', '/terms').send({ title: 'Terms 1', text: 'Be nice.' }))
    const template = {
      subject: 'Join {{tenantName}}',
      text: 'Click {{link}}',
      html: '<a href="{{link}}">Join</a>',
    }
    await expectOk(call('put', '/email-templates/invitation/fr').send(template))
    await expectOk(call('delete', '/email-templates/invitation/fr'))
    const app = await expectOk(
      call('post', '/apps').send({
        name: 'Shop',
        type: 'web',
        redirectUris: ['https://shop.example/cb'],
      }),
    )
    const clientId = app.body.clientId as string
    await expectOk(call('patch', `/apps/${clientId}`).send({ name: 'Shop 2' }))
    await expectOk(call('post', `/apps/${clientId}/secret`))
    await expectOk(call('delete', `/apps/${clientId}`))
    await expectOk(call('post', '/keys/rotate'))
    const directory = await expectOk(call('post', '/directories').send(samlInput()))
    const directoryId = directory.body.id as string
    await expectOk(call('patch', `/directories/${directoryId}`).send({ name: 'Corp 2' }))
    await expectOk(call('delete', `/directories/${directoryId}`))

    const { events } = await a.audit({ limit: 200 })
    const seen = events.map((e) => [e.action, e.subject?.kind, e.subject?.id]).reverse()
    expect(seen).toEqual([
      ['settings.updated', 'tenant', tenant.id],
      ['host.added', 'host', host],
      ['host.removed', 'host', host],
      ['invitation.invited', 'invitation', invitationId],
      ['invitation.resent', 'invitation', invitationId],
      ['invitation.reinvited', 'invitation', invitationId],
      ['invitation.revoked', 'invitation', invitationId],
      ['terms.published', 'terms', '1'],
      ['template.saved', 'template', 'invitation/fr'],
      ['template.reset', 'template', 'invitation/fr'],
      ['app.created', 'app', clientId],
      ['app.updated', 'app', clientId],
      ['app.secret_rotated', 'app', clientId],
      ['app.deleted', 'app', clientId],
      ['signing_key.rotated', 'signing_key', expect.any(String)],
      ['directory.created', 'directory', directoryId],
      ['directory.updated', 'directory', directoryId],
      ['directory.deleted', 'directory', directoryId],
    ])
    for (const e of events) {
      expect(e.actor).toEqual({ kind: 'api_key', id: a.keyId, name: 'test' })
      expect(e.ip).toBe(FROM)
      expect(e.tenantId).toBe(tenant.id)
    }
    const byAction = (action: string) => events.find((e) => e.action === action)
    expect(byAction('settings.updated')?.details).toEqual({
      changed: { invitationTtl: { from: '14d', to: '20d' } },
    })
    expect(byAction('invitation.invited')?.subject?.label).toBe('ada@example.com')
    // Secrets never reach the log: the app's client secret, the directory's metadata.
    const text = JSON.stringify(events)
    expect(text).not.toContain(app.body.clientSecret as string)
  })
})

describe('reading the log', () => {
  it('filters by action (exact or prefix), subject, actor and time, newest first', async () => {
    const a = await admin()
    const t0 = new Date(Date.now() - 3_600_000)
    const event = (action: string, subjectId: string, actorId: string, minutes: number) =>
      recordAudit(
        gw.db,
        {
          tenantId: a.tenant.id,
          actor: { kind: 'admin', id: actorId },
          action,
          subject: { kind: action.split('.')[0] as string, id: subjectId },
        },
        new Date(t0.getTime() + minutes * 60_000),
      )
    await event('member.disabled', 'm1', 'admin-1', 1)
    await event('member.enabled', 'm1', 'admin-2', 2)
    await event('member_x.changed', 'm2', 'admin-1', 3)
    await event('invitation.resent', 'i1', 'admin-1', 4)
    const actions = async (q: Record<string, string>) =>
      (await a.audit(q)).events.map((e) => e.action)

    expect(await actions({})).toEqual([
      'invitation.resent',
      'member_x.changed',
      'member.enabled',
      'member.disabled',
    ])
    expect(await actions({ action: 'member.disabled' })).toEqual(['member.disabled'])
    // A prefix ends with a dot, and its '_' is no wildcard.
    expect(await actions({ action: 'member.' })).toEqual(['member.enabled', 'member.disabled'])
    expect(await actions({ subject: 'm1', subjectKind: 'member' })).toEqual([
      'member.enabled',
      'member.disabled',
    ])
    expect(await actions({ actor: 'admin-2' })).toEqual(['member.enabled'])
    expect(await actions({ actorKind: 'api_key' })).toEqual([])
    const at = (m: number) => new Date(t0.getTime() + m * 60_000).toISOString()
    expect(await actions({ since: at(2), until: at(4) })).toEqual([
      'member_x.changed',
      'member.enabled',
    ])
  })

  it('filters by the email address an admin knows: the actor’s and the subject’s, any case', async () => {
    const a = await admin()
    const event = (action: string, actor: string, subject: string) =>
      recordAudit(gw.db, {
        tenantId: a.tenant.id,
        actor: { kind: 'admin', id: `a-${actor.split('@')[0]!.toLowerCase()}`, name: actor },
        action,
        subject: { kind: 'member', id: `s-${subject.split('@')[0]}`, label: subject },
      })
    await event('member.disabled', 'Boss@Example.com', 'ann@example.com')
    await event('member.enabled', 'deputy@example.com', 'ann@example.com')
    await event('member.changed', 'boss@example.com', 'bob@example.com')
    const actions = async (q: Record<string, string>) =>
      (await a.audit(q)).events.map((e) => e.action)
    expect(await actions({ actor: 'boss@example.com' })).toEqual([
      'member.changed',
      'member.disabled',
    ])
    expect(await actions({ subject: 'ANN@example.com' })).toEqual([
      'member.enabled',
      'member.disabled',
    ])
    expect(await actions({ actor: 'deputy@example.com', subject: 'bob@example.com' })).toEqual([])
    // Without an @ it is an id, as before.
    expect(await actions({ actor: 'a-deputy' })).toEqual(['member.enabled'])
    expect(await actions({ subject: 's-bob' })).toEqual(['member.changed'])
    expect(await actions({ actor: 'deputy' })).toEqual([])
  })

  it('pages with an opaque cursor, without gaps or repeats, also within one millisecond', async () => {
    const a = await admin()
    const now = new Date()
    for (let i = 0; i < 7; i++)
      await recordAudit(
        gw.db,
        { tenantId: a.tenant.id, actor: { kind: 'system' }, action: `test.n${i}` },
        i < 4 ? now : new Date(now.getTime() + i),
      )
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { events: AuditJson[]; nextCursor: string | null } = await a.audit({
        limit: 3,
        ...(cursor ? { cursor } : {}),
      })
      expect(page.events.length).toBeLessThanOrEqual(3)
      seen.push(...page.events.map((e) => e.action))
      cursor = page.nextCursor
    } while (cursor)
    expect(seen).toHaveLength(7)
    expect(new Set(seen).size).toBe(7)
    expect(seen.slice(0, 3)).toEqual(['test.n6', 'test.n5', 'test.n4'])
  })

  it('refuses bad filters and a forged cursor with 400 naming the field', async () => {
    const a = await admin()
    for (const [query, field] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 201 }, 'limit'],
      [{ since: 'yesterday' }, 'since'],
      [{ action: "x' or 1=1" }, 'action'],
      [{ actorKind: 'root' }, 'actorKind'],
      [{ cursor: Buffer.from('["x","1"]').toString('base64url') }, 'cursor'],
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ color: 'red' }, undefined],
    ] as const) {
      const res = await a.api('get', '/audit').query(query)
      expect(res.status, JSON.stringify(query)).toBe(400)
      expect(res.body.error).toBe('invalid_request')
      if (field) expect(Object.keys(res.body.details.fields)).toContain(field)
    }
  })
})

describe("OWASP ASVS 5.0 8.4.1: a tenant key reads only its tenant's log", () => {
  it("answers 404 to tenant B's key for tenant A's log, and B's log holds nothing of A", async () => {
    const a = await admin()
    const b = await admin()
    await a.call('patch', '/settings').send({ invitationTtl: '20d' })
    const res = await supertest(gw.app)
      .get(`/admin/api/v1/tenants/${a.tenant.slug}/audit`)
      .set('Authorization', `Bearer ${b.key}`)
    expect(res.status).toBe(404)
    expect(res.text).not.toContain('settings.updated')
    expect((await b.audit()).events).toEqual([])
    // and the platform log is for platform keys only
    const platform = await supertest(gw.app)
      .get('/admin/api/v1/audit')
      .set('Authorization', `Bearer ${b.key}`)
    expect(platform.status).toBe(403)
  })

  it('lets a platform key read every event, or only platform ones', async () => {
    const a = await admin()
    await a.call('patch', '/settings').send({ invitationTtl: '20d' })
    const { key } = await createApiKey(gw.db, { tenantId: null, name: 'platform' })
    const slug = `p-${a.tenant.slug}`
    const created = await supertest(gw.app)
      .post('/admin/api/v1/tenants')
      .set('Authorization', `Bearer ${key}`)
      .send({ slug, name: 'Platform made' })
    expect(created.status).toBe(201)
    const read = (query: Record<string, string>) =>
      supertest(gw.app)
        .get('/admin/api/v1/audit')
        .query(query)
        .set('Authorization', `Bearer ${key}`)
    const all = await read({ action: 'settings.updated', limit: '200' })
    expect(all.status).toBe(200)
    expect(all.body.events.map((e: AuditJson) => e.tenantId)).toContain(a.tenant.id)
    // A tenant made by a platform key opens the new tenant's log.
    const made = await read({ action: 'tenant.created', limit: '200' })
    const mine = made.body.events.find((e: AuditJson) => e.subject?.label === slug)
    expect(mine).toMatchObject({
      tenantId: created.body.id,
      actor: { kind: 'api_key', name: 'platform' },
    })
    const platform = await read({ scope: 'platform', limit: '200' })
    expect(platform.status).toBe(200)
    expect(platform.body.events.every((e: AuditJson) => e.tenantId === null)).toBe(true)
  })
})
