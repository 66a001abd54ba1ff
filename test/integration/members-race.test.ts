import { describe, expect, it } from 'vitest'
import { tenantWithKey } from '../support/admin-api.js'
import { onPostgres } from '../support/database.js'
import { useGateway } from '../support/harness.js'
import { addPeople } from '../support/members.js'

// Issue 11, bad input: "a member edit racing a removal". PGlite serialises everything, so only
// PostgreSQL proves it (SECURITY-NOTES.md: concurrency is tested on PostgreSQL).
const gw = useGateway()

describe.skipIf(!onPostgres())('members under concurrency (PostgreSQL)', () => {
  it('never brings a removed member back: an edit racing a removal lands before it or gets 404', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    const ids = await addPeople(
      gw.db,
      tenant,
      Array.from({ length: 8 }, (_, i) => ({ email: `race${i}@example.com` })),
    )
    for (const id of ids) {
      const [edit, removal] = await Promise.all([
        api('patch', `/members/${id}`).send({ firstName: 'Edited', groups: [] }),
        api('delete', `/members/${id}`),
      ])
      expect([200, 404]).toContain(edit.status)
      expect(removal.status).toBe(204)
      await api('get', `/members/${id}`).expect(404)
    }
    const left = await gw.db
      .selectFrom('users')
      .select('email')
      .where('directory_id', '=', tenant.databaseDirectoryId!)
      .execute()
    expect(left).toEqual([])
  })

  it('keeps an admin when two admins demote each other at once', async () => {
    const { tenant, api } = await tenantWithKey(gw)
    for (let round = 0; round < 4; round++) {
      const [a, b] = await addPeople(gw.db, tenant, [
        { email: `a${round}@example.com`, role: 'admin' },
        { email: `b${round}@example.com`, role: 'admin' },
      ])
      const statuses = (
        await Promise.all([
          api('patch', `/members/${a}`).send({ role: 'user' }),
          api('post', `/members/${b}/disable`),
        ])
      ).map((r) => r.status)
      const admins = await gw.db
        .selectFrom('memberships')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('role', '=', 'admin')
        .where('status', '=', 'active')
        .execute()
      expect(admins.length).toBeGreaterThanOrEqual(1)
      expect(statuses.sort()).toEqual(round === 0 ? [200, 409] : [200, 200])
      // Later rounds: the first round's survivor is still an admin, so both changes pass.
    }
  })
})
