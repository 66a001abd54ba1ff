import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { cleanUp } from '../../src/jobs/cleanup.js'
import { tenantWithKey } from '../support/admin-api.js'
import { declareCatalogue } from '../support/catalogues.js'
import { type Gateway, useGateway } from '../support/harness.js'

// Issue 11: "posting the same list again re-invites everyone pending and bypasses the resend
// cooldown (answer already_invited unless the admin asks to reinvite; an Idempotency-Key header
// makes a double-submitted request answer the first result instead of sending ten mails)".
describe('posting a list again, and double-submitted requests', () => {
  const gw: Gateway = useGateway()

  const mailCount = async (tenantId: string) =>
    (
      await sql<{
        n: number
      }>`select count(*)::int as n from outbox where tenant_id = ${tenantId}`.execute(gw.db)
    ).rows[0]?.n

  it('answers already_invited for people pending, sends nothing, and changes nothing', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    await declareCatalogue(gw.db, tenant.id, { roles: ['manager'] })
    const first = await api('post', '/invitations').send({ emails: 'ada@example.com' })
    const id = first.body.results[0].invitationId
    const again = await api('post', '/invitations').send({
      emails: 'ada@example.com, bob@example.com',
      role: 'manager',
    })
    expect(again.status).toBe(200)
    expect(again.body.results).toEqual([
      {
        email: 'ada@example.com',
        status: 'already_invited',
        invitationId: id,
        expiresAt: first.body.results[0].expiresAt,
      },
      expect.objectContaining({ email: 'bob@example.com', status: 'invited' }),
    ])
    expect(again.body.counts).toMatchObject({ invited: 1, already_invited: 1 })
    expect(await mailCount(tenant.id)).toBe(2) // ada once, bob once
    const shown = await api('get', `/invitations/${id}`)
    expect(shown.body).toMatchObject({ role: 'user', sendCount: 1 })
  })

  it('re-invites people pending when the admin asks to (reinvite: true)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const first = await api('post', '/invitations').send({ emails: 'ada@example.com' })
    const again = await api('post', '/invitations').send({
      emails: 'ada@example.com',
      reinvite: true,
    })
    expect(again.body.results[0]).toMatchObject({
      status: 'reinvited',
      invitationId: first.body.results[0].invitationId,
    })
    expect(await mailCount(tenant.id)).toBe(2)
  })

  it('answers a repeated Idempotency-Key with the first result, sending the mail once', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const body = { emails: 'one@example.com; two@example.com' }
    const first = await api('post', '/invitations').set('Idempotency-Key', 'k-1').send(body)
    const second = await api('post', '/invitations').set('Idempotency-Key', 'k-1').send(body)
    expect(first.status).toBe(200)
    expect(second.status).toBe(200)
    expect(second.body).toEqual(first.body) // "invited", not "already_invited": the first answer
    expect(await mailCount(tenant.id)).toBe(2)
  })

  it('refuses the same key with another body (422), and keeps keys per tenant', async () => {
    const a = await tenantWithKey(gw)
    const b = await tenantWithKey(gw)
    await a
      .api('post', '/invitations')
      .set('Idempotency-Key', 'same')
      .send({ emails: 'x@example.com' })
    const other = await a
      .api('post', '/invitations')
      .set('Idempotency-Key', 'same')
      .send({ emails: 'y@example.com' })
    expect(other.status).toBe(422)
    expect(other.body).toMatchObject({ error: 'idempotency_key_reused', details: null })
    const elsewhere = await b
      .api('post', '/invitations')
      .set('Idempotency-Key', 'same')
      .send({ emails: 'y@example.com' })
    expect(elsewhere.status).toBe(200)
    expect(elsewhere.body.results[0].status).toBe('invited')
    const bad = await a
      .api('post', '/invitations')
      .set('Idempotency-Key', 'a b')
      .send({ emails: 'z@example.com' })
    expect(bad.status).toBe(400)
  })

  it('forgets a key after 24 hours: the request is then new (and the cleanup deletes it)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const body = { emails: 'late@example.com' }
    await api('post', '/invitations').set('Idempotency-Key', 'day').send(body)
    await sql`update idempotency_keys set expires_at = now() - interval '1 second' where tenant_id = ${tenant.id}`.execute(
      gw.db,
    )
    const later = await api('post', '/invitations').set('Idempotency-Key', 'day').send(body)
    expect(later.body.results[0].status).toBe('already_invited')
    await sql`update idempotency_keys set expires_at = now() - interval '1 second' where tenant_id = ${tenant.id}`.execute(
      gw.db,
    )
    expect((await cleanUp(gw.db)).idempotencyKeys).toBeGreaterThanOrEqual(1)
  })

  it('frees the key of a request that failed, so its retry does the work', async () => {
    const { api } = await tenantWithKey(gw)
    const bad = await api('post', '/invitations').set('Idempotency-Key', 'retry').send({ role: 1 })
    expect(bad.status).toBe(400)
    const same = await api('post', '/invitations').set('Idempotency-Key', 'retry').send({ role: 1 })
    expect(same.status).toBe(400) // evaluated again, not "reused"
  })

  it('sends one batch of mail when identical requests race (PostgreSQL runs them in parallel)', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const emails = Array.from({ length: 20 }, (_, i) => `p${i}@example.com`).join('\n')
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        api('post', '/invitations').set('Idempotency-Key', 'double-click').send({ emails }),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200])
    for (const a of answers) expect(a.body).toEqual(answers[0]?.body)
    expect(answers[0]?.body.counts.invited).toBe(20)
    expect(await mailCount(tenant.id)).toBe(20)
  })
})
