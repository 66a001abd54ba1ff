import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { cleanUp } from '../../src/jobs/cleanup.js'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

const DAY = 86_400_000
const count = async (gw: ReturnType<typeof useGateway>, table: string, tenantId: string) =>
  (
    await sql<{
      n: number
    }>`select count(*)::int as n from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(
      gw.db,
    )
  ).rows[0]?.n

// DESIGN.md "jobs": expired sessions, counters and links go; live ones stay.
describe('the cleanup job', () => {
  // Own database: the cleanup job deletes across every tenant.
  const gw = useGateway({}, { database: 'own' })
  const { member, browser } = pageHelpers(gw)

  it('deletes what expired and keeps what still works', async () => {
    const { tenant, host } = await member('tidy@example.com')
    await browser(host).submit('/forgot-password', { email: 'tidy@example.com' })
    expect(await count(gw, 'sessions', tenant.id)).toBe(1)
    expect(await count(gw, 'password_resets', tenant.id)).toBe(1)
    for (const [id, expires] of [
      ['live', "now() + interval '1 hour'"],
      ['spent', "now() - interval '1 second'"],
    ])
      await sql`insert into oidc_artefacts (tenant_id, model, id, payload, expires_at)
        values (${tenant.id}, 'AuthorizationCode', ${id}, '{}', ${sql.raw(expires!)})`.execute(
        gw.db,
      )

    await cleanUp(gw.db, new Date())
    expect(await count(gw, 'oidc_artefacts', tenant.id)).toBe(1)
    expect(await count(gw, 'sessions', tenant.id)).toBe(1)
    expect(await count(gw, 'password_resets', tenant.id)).toBe(1)

    await sql`update outbox set status = 'sent', sent_at = now(), secret = null where tenant_id = ${tenant.id}`.execute(
      gw.db,
    )
    await cleanUp(gw.db, new Date(Date.now() + 31 * DAY))
    expect(await count(gw, 'sessions', tenant.id)).toBe(0)
    expect(await count(gw, 'password_resets', tenant.id)).toBe(0)
    expect(await count(gw, 'outbox', tenant.id)).toBe(0)
  })
})
