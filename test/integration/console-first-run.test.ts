import { describe, expect, it } from 'vitest'
import { firstRun } from '../../src/console/first-run.js'
import { consoleHelpers } from '../support/console.js'
import { useGateway } from '../support/harness.js'

// Issue 11: the first `npm start` prints a one-time link that signs the demo tenant's admin in,
// next to the demo key. An empty database of its own: the demo is seeded only when none exists.
const gw = useGateway({}, { database: 'own' })
const h = consoleHelpers(gw)

describe('the first run', () => {
  it('hands out a one-time admin link for the demo tenant that works once and only once', async () => {
    const first = await firstRun(gw.db, gw.config)
    const demo = first.demo!
    expect(demo.key).toMatch(/^gwk_/)
    expect(demo.admin).toMatchObject({ status: 'invited', email: 'admin@example.com' })
    const link = demo.admin!.status === 'already_member' ? '' : demo.admin!.link
    expect(link).toMatch(/^http:\/\/demo\.localhost:3000\/invite\/[A-Za-z0-9_-]{43}$/)
    const token = link.slice(link.lastIndexOf('/') + 1)
    // Short-lived (24 h, not the store's invitation lifetime), and only its hash is stored.
    const row = await gw.db
      .selectFrom('invitations')
      .select(['token_hash', 'expires_at', 'created_at'])
      .where('tenant_id', '=', demo.tenant.id)
      .executeTakeFirstOrThrow()
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeLessThanOrEqual(
      24 * 3_600_000 + 60_000,
    )
    expect(Buffer.from(row.token_hash).toString()).not.toContain(token)
    expect(first.platform?.created).toBe(true)

    const b = h.browser('demo.localhost')
    expect((await h.activate(b, token)).status).toBe(303)
    const console = await b.get('/admin/users')
    expect(console.status).toBe(200)
    expect(console.text).toContain('admin@example.com')
    // A second use, in this browser or another, is refused.
    const again = h.browser('demo.localhost')
    const page = await again.get(`/invite/${token}`)
    expect(page.text).toContain('This link is no longer valid')
    expect((await again.get('/admin/users')).status).toBe(303)

    // A restart creates nothing again: no demo, no second link, the same platform tenant.
    const second = await firstRun(gw.db, gw.config)
    expect(second.demo).toBeUndefined()
    expect(second.platform?.created).toBe(false)
  })
})
