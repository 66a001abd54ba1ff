import { describe, expect, it } from 'vitest'
import { firstRun, firstRunNotes } from '../../src/console/first-run.js'
import { testConfig, useGateway } from '../support/harness.js'
import { openTestDb } from '../support/database.js'
import { pageHelpers } from '../support/pages.js'

// Issue 13: a deployment that starts on an empty database (docker-compose.yml) names its first
// store and admin in the environment; every replica runs the first run, and it happens once.
const FIRST = {
  FIRST_TENANT_SLUG: 'acme',
  FIRST_TENANT_NAME: 'Acme Store',
  FIRST_TENANT_HOST: 'login.acme.test',
  FIRST_ADMIN_EMAIL: 'owner@acme.test',
  // Mail goes out through SMTP: the link is in the mail, not in the log.
  SMTP_URL: 'smtp://127.0.0.1:2525',
}
const gw = useGateway(FIRST, { database: 'own' })
const pages = pageHelpers(gw)

describe('the first tenant of a deployment', () => {
  it('is made with its admin invited once, however many replicas start together', async () => {
    const runs = await Promise.all([0, 1, 2].map(() => firstRun(gw.db, gw.config)))
    const made = runs.flatMap((r) => (r.first ? [r.first] : []))
    expect(made).toHaveLength(1)
    expect(runs.some((r) => r.demo)).toBe(false) // the named store replaces the demo
    const { tenant, admin } = made[0]!
    expect(tenant).toMatchObject({ slug: 'acme', name: 'Acme Store' })
    expect(tenant.hosts).toContain('login.acme.test')
    expect(admin.email).toBe('owner@acme.test')

    const mail = await gw.db
      .selectFrom('outbox')
      .select(['to_address', 'template'])
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(mail).toEqual([{ to_address: 'owner@acme.test', template: 'invitation' }])
    const [note] = firstRunNotes(
      runs.find((r) => r.first)!,
      gw.config,
    )
    expect(note).toContain('Open the link in the invitation mail')
    expect(note).not.toContain(admin.link) // a live credential stays out of the log

    // The invited admin chooses a password and reaches the console.
    const b = pages.browser('login.acme.test')
    const token = admin.link.slice(admin.link.lastIndexOf('/') + 1)
    expect((await pages.activate(b, token)).status).toBe(303)
    expect((await b.get('/admin/users')).status).toBe(200)

    // A restart with the same variables makes nothing more.
    const again = await firstRun(gw.db, gw.config)
    expect(again.first).toBeUndefined()
    const count = await gw.db
      .selectFrom('invitations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(1)
  })

  it('without SMTP hands the one-time link to the log; in production with nothing named, says what to do', async () => {
    const own = await openTestDb('own')
    try {
      const { SMTP_URL: _smtp, ...noSmtp } = FIRST
      const printed = await firstRun(own.db, testConfig(noSmtp))
      const [note] = firstRunNotes(printed, {})
      expect(note).toContain(printed.first!.admin.link)

      const other = await openTestDb('own')
      try {
        const empty = await firstRun(other.db, testConfig({ NODE_ENV: 'production' }))
        expect(empty.empty).toBe(true)
        expect(firstRunNotes(empty, {}).join('\n')).toMatch(
          /FIRST_TENANT_SLUG=.*FIRST_ADMIN_EMAIL=/,
        )
      } finally {
        await other.close()
      }
    } finally {
      await own.close()
    }
  })
})
