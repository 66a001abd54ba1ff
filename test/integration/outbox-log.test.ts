import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { outboxLogger } from '../../src/jobs/log-outbox.js'
import { enqueueMail } from '../../src/mail/outbox.js'
import { memoryLog, useGateway } from '../support/harness.js'

// The development mail log (no SMTP_URL) must name each mail once. PostgreSQL stores
// microseconds, a JS Date keeps milliseconds: a cursor kept as a Date found the newest mail
// again on every run (every 2 s).
describe('the development mail log', () => {
  const gw = useGateway()

  async function mailAt(tenantId: string, to: string, at: string) {
    const { id } = await gw.db
      .transaction()
      .execute((tx) =>
        enqueueMail(
          tx,
          { tenantId, template: 'invitation', locale: 'en', to: { address: to, name: 'Ada' } },
          gw.config.secretKey,
        ),
      )
    await sql`update outbox set created_at = ${at}::timestamptz where id = ${id}`.execute(gw.db)
  }

  it('logs a mail stored with microseconds once, and a second one of the same millisecond', async () => {
    const tenant = await gw.createTenant()
    const { log, lines } = memoryLog()
    const run = outboxLogger(
      gw.db,
      { secretKey: gw.config.secretKey, templates: gw.config.mailTemplates },
      log,
      new Date('2030-01-01T00:00:00.000Z'),
    )
    const logged = () => lines().map((l) => l.to)

    await mailAt(tenant.id, 'first@example.com', '2030-01-01T00:00:01.123456Z')
    expect(await run()).toBe(1)
    expect(await run()).toBe(0)
    await mailAt(tenant.id, 'second@example.com', '2030-01-01T00:00:01.123789Z')
    expect(await run()).toBe(1)
    expect(await run()).toBe(0)
    expect(logged()).toEqual(['first@example.com', 'second@example.com'])
  })
})
