import { describe, expect, it } from 'vitest'
import { listAudit, listPlatformAudit } from '../../src/audit/audit-log.js'
import { MAX_CONSECUTIVE_FAILURES } from '../../src/identity/credentials.js'
import { purgeNeverActivated } from '../../src/jobs/purge.js'
import { remindPendingInvitations } from '../../src/jobs/remind-invitations.js'
import { getTenant } from '../../src/tenants/tenants.js'
import { runCli } from '../support/cli.js'
import { memoryLog, randomSlug, useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 11: what happens without an admin API key is in the audit log too: sign-ins and their
// failures and lockouts (from the person's address, never the password), the jobs (as the
// system), and the CLI (as the operator at the server).

const gw = useGateway({ TRUST_PROXY: 'loopback' })
const { browser, member, invite } = pageHelpers(gw)
const DAY = 86_400_000
const FROM = '198.51.100.23'

const eventsOf = async (tenantId: string, query: Record<string, string> = {}) =>
  (await listAudit(gw.db, tenantId, { limit: '200', ...query })).events

describe('password sign-in', () => {
  it('records a success as the member, a failure with the address typed, from where', async () => {
    const { tenant, host } = await member('dan@example.com')
    const b = browser(host)
    const login = async (email: string, password: string) => {
      const res = await b
        .post('/login', { _csrf: await b.csrf('/login'), email, password })
        .set('X-Forwarded-For', FROM)
      return res.status
    }
    expect(await login('dan@example.com', PASSWORD)).toBe(303)
    expect(await login('dan@example.com', 'not the password 1')).toBe(401)
    expect(await login('nobody@example.com', 'not the password 2')).toBe(401)

    const events = (await eventsOf(tenant.id, { action: 'sign_in.' })).reverse()
    const membership = await gw.db
      .selectFrom('memberships')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow()
    const subject = { kind: 'member', id: membership.id, label: 'dan@example.com' }
    expect(events).toMatchObject([
      {
        action: 'sign_in.succeeded',
        actor: { kind: 'person', id: membership.id, name: 'dan@example.com' },
        subject,
        ip: FROM,
      },
      {
        action: 'sign_in.failed',
        actor: { kind: 'anonymous' },
        subject,
        ip: FROM,
        details: { email: 'dan@example.com', reason: 'wrong_password' },
      },
      {
        action: 'sign_in.failed',
        subject: null,
        ip: FROM,
        details: { email: 'nobody@example.com', reason: 'unknown_account' },
      },
    ])
    expect(JSON.stringify(events)).not.toMatch(/not the password|violet anchor/)
  })

  it('records the lockout that the last failure in a row causes', async () => {
    const { tenant, host } = await member('eve@example.com')
    const user = await gw.db
      .selectFrom('users')
      .select(['id', 'directory_id'])
      .where('email_key', '=', 'eve@example.com')
      .where(
        'directory_id',
        '=',
        (await getTenant(gw.db, tenant.slug, gw.config)).databaseDirectoryId ?? '',
      )
      .executeTakeFirstOrThrow()
    await gw.db
      .updateTable('credentials')
      .set({ failed_logins: MAX_CONSECUTIVE_FAILURES - 1 })
      .where('user_id', '=', user.id)
      .execute()
    const b = browser(host)
    await b.submit('/login', { email: 'eve@example.com', password: 'not the password 3' })
    const locked = await eventsOf(tenant.id, { action: 'sign_in.locked_out' })
    expect(locked).toMatchObject([
      { subject: { kind: 'member', label: 'eve@example.com' }, details: { failures: 100 } },
    ])
    // While locked, even the right password is refused, as 'locked'; no second lockout.
    await b.submit('/login', { email: 'eve@example.com', password: PASSWORD })
    const [last] = await eventsOf(tenant.id, { action: 'sign_in.failed' })
    expect(last?.details).toMatchObject({ reason: 'locked' })
    expect(await eventsOf(tenant.id, { action: 'sign_in.locked_out' })).toHaveLength(1)
  })
})

describe('the jobs, as the system', () => {
  it('records each reminder sent, and the purge of never-activated accounts by count only', async () => {
    const { tenant } = await member('kept@example.com')
    const { id } = await invite(tenant, 'pending@example.com')
    const now = Date.now()
    const deps = { secretKey: gw.config.secretKey, urls: gw.config }
    await remindPendingInvitations(gw.db, { ...deps, now: new Date(now + 2 * DAY + 60_000) })
    expect(await eventsOf(tenant.id, { action: 'invitation.reminded' })).toMatchObject([
      {
        actor: { kind: 'system' },
        subject: { kind: 'invitation', id, label: 'pending@example.com' },
      },
    ])
    await purgeNeverActivated(gw.db, new Date(now + 61 * DAY))
    const [purged, ...more] = await eventsOf(tenant.id, { action: 'invitation.purged' })
    expect(more).toEqual([])
    expect(purged).toMatchObject({ actor: { kind: 'system' }, details: { memberships: 1 } })
    // GDPR: the purge does not keep in the log the address it erased.
    expect(JSON.stringify(purged)).not.toContain('pending@example.com')
  })
})

describe('the CLI, as the operator', () => {
  it('records tenants, API keys, apps and signing keys made at the server', async () => {
    const memory = memoryLog()
    const run = (...argv: string[]) =>
      runCli({ config: gw.config, db: gw.db, log: memory.log }, ...argv)
    const slug = randomSlug()
    expect((await run('tenant', 'create', '--slug', slug, '--name', 'CLI store')).code).toBe(0)
    const tenant = await getTenant(gw.db, slug, gw.config)
    expect((await run('api-key', 'create', '--tenant', slug, '--name', 'ops')).code).toBe(0)
    const platformKey = await run('api-key', 'create', '--platform', '--name', `p-${slug}`)
    const keyId = /created API key (\S+)/.exec(platformKey.err)?.[1] as string
    expect((await run('api-key', 'revoke', keyId)).code).toBe(0)
    const app = ['app', 'create', '--tenant', slug, '--name', 'Shop', '--type', 'spa']
    expect((await run(...app, '--redirect-uri', 'https://shop.example/cb')).code).toBe(0)
    expect((await run('keys', 'rotate', '--tenant', slug)).code).toBe(0)

    const actions = (await eventsOf(tenant.id)).map((e) => [e.action, e.actor.kind]).reverse()
    expect(actions).toEqual([
      ['tenant.created', 'cli'],
      ['api_key.created', 'cli'],
      ['app.created', 'cli'],
      ['signing_key.rotated', 'cli'],
    ])
    const platform = await listPlatformAudit(gw.db, { scope: 'platform', subject: keyId })
    expect(platform.events.map((e) => e.action).reverse()).toEqual([
      'api_key.created',
      'api_key.revoked',
    ])
    expect(memory.lines().filter((l) => l.event === 'admin_change')).toHaveLength(6)
  })
})
