import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { recordAudit } from '../../src/audit/audit.js'
import { purgeAuditEvents } from '../../src/audit/purge-audit.js'
import { getTenant, updateSettings } from '../../src/tenants/tenants.js'
import { tenantWithKey } from '../support/admin-api.js'
import { useGateway } from '../support/harness.js'

// Issue 11: the audit log is append-only in the database (no statement of the application, or
// of anyone with its credentials, rewrites it), and kept for the tenant's auditRetention.

const gw = useGateway()
const DAY = 86_400_000

const eventsOf = (tenantId: string) =>
  gw.db
    .selectFrom('audit_events')
    .select(['action'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute()
    .then((rows) => rows.map((r) => r.action))

const record = (tenantId: string, action: string, at: Date) =>
  recordAudit(gw.db, { tenantId, actor: { kind: 'system' }, action }, at)

describe('append-only, enforced by the database', () => {
  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const tenant = await gw.createTenant()
    await record(tenant.id, 'test.kept', new Date())
    await expect(
      gw.db
        .updateTable('audit_events')
        .set({ action: 'test.rewritten' } as never)
        .where('tenant_id', '=', tenant.id)
        .execute(),
    ).rejects.toThrow(/append-only/)
    await expect(
      gw.db.deleteFrom('audit_events').where('tenant_id', '=', tenant.id).execute(),
    ).rejects.toThrow(/append-only/)
    await expect(sql`truncate audit_events`.execute(gw.db)).rejects.toThrow(/append-only/)
    // The purge's flag lasts one transaction: it does not leak into the next statement.
    await gw.db.transaction().execute(async (tx) => {
      await sql`select set_config('gateway.audit_purge', 'on', true)`.execute(tx)
    })
    await expect(
      gw.db.deleteFrom('audit_events').where('tenant_id', '=', tenant.id).execute(),
    ).rejects.toThrow(/append-only/)
    expect(await eventsOf(tenant.id)).toEqual(['test.kept'])
  })
})

describe('retention', () => {
  it("deletes each tenant's events older than its auditRetention, and nothing else, idempotently", async () => {
    const now = new Date()
    const short = await gw.createTenant()
    await updateSettings(gw.db, short, { auditRetention: '30d' }, gw.config.passwordPolicies)
    const long = await gw.createTenant() // the default, 365d
    for (const t of [short, long]) {
      await record(t.id, 'test.old', new Date(now.getTime() - 400 * DAY))
      await record(t.id, 'test.month', new Date(now.getTime() - 40 * DAY))
      await record(t.id, 'test.recent', new Date(now.getTime() - 20 * DAY))
    }
    // Every gateway process runs the job: two at once delete each event once, and fail nothing.
    await Promise.all([purgeAuditEvents(gw.db, now), purgeAuditEvents(gw.db, now)])
    expect(await eventsOf(short.id)).toEqual(['test.recent'])
    expect(await eventsOf(long.id)).toEqual(['test.month', 'test.recent'])
    await purgeAuditEvents(gw.db, now)
    expect(await eventsOf(long.id)).toEqual(['test.month', 'test.recent'])
  })
})

describe('the auditRetention setting', () => {
  it('defaults to a year, takes 30d to 3650d, and refuses the rest naming the field', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    expect(tenant.settings.auditRetention).toBe('365d')
    for (const bad of ['29d', '3651d', '1s', 'forever', 365]) {
      const res = await api('patch', '/settings').send({ auditRetention: bad })
      expect(res.status, String(bad)).toBe(400)
      expect(Object.keys(res.body.details.fields)).toEqual(['auditRetention'])
    }
    const ok = await api('patch', '/settings').send({ auditRetention: '52w' })
    expect(ok.status).toBe(200)
    expect(ok.body.auditRetention).toBe('52w')
  })

  it('keeps what a patch leaves out, auditRetention and tokens alike', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const tokens = {
      accessTokenTtl: '5m',
      idTokenTtl: '5m',
      refreshTokenTtl: '7d',
      signingAlg: 'ES256',
    }
    expect((await api('patch', '/settings').send({ auditRetention: '90d', tokens })).status).toBe(
      200,
    )
    expect((await api('patch', '/settings').send({ invitationTtl: '21d' })).status).toBe(200)
    const settings = (await getTenant(gw.db, tenant.slug, gw.config)).settings
    expect(settings).toMatchObject({ auditRetention: '90d', tokens, invitationTtl: '21d' })
  })

  it('lets a tenant stored before the setting existed parse, with the default', async () => {
    const tenant = await gw.createTenant()
    await gw.db
      .updateTable('tenants')
      .set({ settings: sql`settings - 'auditRetention'` as never })
      .where('id', '=', tenant.id)
      .execute()
    expect((await getTenant(gw.db, tenant.slug, gw.config)).settings.auditRetention).toBe('365d')
  })
})
