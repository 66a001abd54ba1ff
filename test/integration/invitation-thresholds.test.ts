import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { fixWarningThresholds as fixThresholds } from '../../migrations/20261201_1130_invitation_tripovers.js'
import { getTenant } from '../../src/tenants/tenants.js'
import { tenantWithKey } from '../support/admin-api.js'
import { type Gateway, useGateway } from '../support/harness.js'

// Issue 11: "a fresh invitation shows yellow at once when its lifetime equals the yellow
// threshold": thresholds are validated against the lifetime.
describe('warning thresholds and the invitation lifetime', () => {
  const gw: Gateway = useGateway()

  it('shows a fresh invitation without a colour on the day it is sent', async () => {
    const { api } = await tenantWithKey(gw)
    const { body } = await api('post', '/invitations').send({ emails: 'fresh@example.com' })
    const shown = await api('get', `/invitations/${body.results[0].invitationId}`).expect(200)
    expect(shown.body).toMatchObject({ status: 'pending', warning: null })
  })

  it('refuses settings whose yellow warning starts as the invitation is sent, naming the field', async () => {
    const { api } = await tenantWithKey(gw)
    const res = await api('patch', '/settings').send({ invitationTtl: '7d' }) // yellow stays 7d
    expect(res.status).toBe(400)
    expect(res.body.details.fields['warnings.yellow']).toEqual([
      expect.stringContaining('at most invitationTtl minus 1d'),
    ])
    const ok = await api('patch', '/settings').send({
      invitationTtl: '7d',
      warnings: { yellow: '5d', red: '2d' },
    })
    expect(ok.status).toBe(200)
  })

  it('the migration moves a stored yellow threshold that breaks the rule, so the tenant still loads', async () => {
    const tenant = await gw.createTenant()
    const broken = {
      ...tenant.settings,
      invitationTtl: '7d',
      warnings: { yellow: '7d', red: '7d' },
    }
    await sql`update tenants set settings = ${JSON.stringify(broken)}::jsonb where id = ${tenant.id}`.execute(
      gw.db,
    )
    await expect(getTenant(gw.db, tenant.slug, gw.config)).rejects.toThrow()
    await fixThresholds(gw.db)
    const fixed = await getTenant(gw.db, tenant.slug, gw.config)
    expect(fixed.settings.warnings).toEqual({ yellow: '144h', red: '144h' })
  })
})
