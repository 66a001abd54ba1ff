import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { dbOn } from '../../src/db/database.js'
import { startSession } from '../../src/identity/sessions.js'
import { hashToken } from '../../src/lib/tokens.js'
import { insertMembership, upsertUser } from '../../src/identity/users.queries.js'
import { revocableCache } from '../../src/revocation/cache.js'
import { type RevocationView, revocationKeys, revocationView } from '../../src/revocation/view.js'
import { databaseDirectoryOf } from '../../src/tenants/tenants.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, useGateway } from '../support/harness.js'

// Issue 13: the per-process view of revocations (src/revocation/view.ts) and the triggers that
// feed it (migration 20261202_1500). Polled every 20 ms here, so the waits stay short.
const gw = useGateway()
const views: RevocationView[] = []
afterEach(() => {
  for (const view of views.splice(0)) view.stop()
})

function startView(db = gw.db) {
  const view = revocationView(db, memoryLog().log, 20)
  views.push(view)
  view.fresh()
  return view
}

async function until(probe: () => boolean | Promise<boolean>, label: string) {
  const started = Date.now()
  while (!(await probe())) {
    if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${label}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const keysSince = async (id: string) =>
  (
    await gw.db
      .selectFrom('revocation_events')
      .select('key')
      .where('id', '>', id)
      .orderBy('id')
      .execute()
  ).map((r) => r.key)
const lastEventId = async () =>
  String(
    (
      await gw.db
        .selectFrom('revocation_events')
        .select((eb) => eb.fn.coalesce(eb.fn.max('id'), eb.lit(0)).as('id'))
        .executeTakeFirstOrThrow()
    ).id,
  )

async function aMember() {
  const tenant = await gw.createTenant()
  const directory = await databaseDirectoryOf(gw.db, tenant.id)
  const email = `${randomBytes(4).toString('hex')}@example.com`
  const { user } = await upsertUser(gw.db, { directory_id: directory.id, email, email_key: email })
  const membership = await insertMembership(gw.db, {
    tenant_id: tenant.id,
    directory_id: directory.id,
    user_id: user.id,
    status: 'active',
  })
  return { tenant, user, membership }
}

describe('the revocation view', () => {
  it('is fresh once it has read the events, and an answer stops holding when an event names it', async () => {
    const view = startView()
    await until(() => view.fresh(), 'a first poll')
    const key = `x:${randomBytes(8).toString('hex')}`
    const since = view.now()
    expect(view.holds(since, [key])).toBe(true)
    await gw.db.insertInto('revocation_events').values({ key }).execute()
    await until(() => !view.holds(since, [key]), 'the event')
    // Looked up after the event was read: it holds.
    expect(view.holds(view.now(), [key])).toBe(true)
  })

  it('holds nothing looked up before its first poll', async () => {
    const since = performance.now()
    const view = startView()
    await until(() => view.fresh(), 'a first poll')
    expect(view.holds(since, [])).toBe(false)
    expect(view.holds(view.now(), [])).toBe(true)
  })

  it('is never fresh while the database cannot be read: every answer is looked up again', async () => {
    const unreachable = dbOn({ url: 'postgres://postgres@127.0.0.1:1/none' })
    const view = startView(unreachable)
    const cache = revocableCache<string>(view)
    cache.set('a', 'answer', view.now(), [], Date.now() + 60_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(view.fresh()).toBe(false)
    expect(cache.get('a')).toBeUndefined()
    view.stop()
    await unreachable.destroy()
  })

  it.runIf(onPostgres())(
    'reads an event whose transaction commits after a later one was read (identity order is not commit order)',
    async () => {
      const view = startView()
      await until(() => view.fresh(), 'a first poll')
      const [early, late] = [
        `x:early-${randomBytes(4).toString('hex')}`,
        `x:late-${randomBytes(4).toString('hex')}`,
      ]
      const since = view.now()
      const slow = new pg.Client({ connectionString: gw.url })
      await slow.connect()
      try {
        await slow.query('begin')
        await slow.query('insert into revocation_events (key) values ($1)', [early])
        await gw.db.insertInto('revocation_events').values({ key: late }).execute()
        await until(() => !view.holds(since, [late]), 'the later event')
        expect(view.holds(since, [early])).toBe(true)
        await slow.query('commit')
        await until(() => !view.holds(since, [early]), 'the event committed last')
      } finally {
        await slow.end()
      }
    },
  )
})

describe('the triggers that write revocation events', () => {
  it('name a membership disabled, but not a sign-in recorded on it', async () => {
    const { tenant, user, membership } = await aMember()
    let from = await lastEventId()
    await gw.db
      .updateTable('memberships')
      .set({ last_sign_in_at: new Date() })
      .where('id', '=', membership.id)
      .execute()
    expect(await keysSince(from)).toEqual([])
    await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('id', '=', membership.id)
      .execute()
    expect(await keysSince(from)).toEqual([revocationKeys.membership(tenant.id, user.id)])
    from = await lastEventId()
    await gw.db.deleteFrom('memberships').where('id', '=', membership.id).execute()
    expect(await keysSince(from)).toEqual([revocationKeys.membership(tenant.id, user.id)])
  })

  it('name a session ended, and a step it now owes; not an expired one purged', async () => {
    const { tenant, membership } = await aMember()
    const input = { tenantId: tenant.id, membershipId: membership.id, pending: null }
    const live = await startSession(gw.db, input)
    const expired = await startSession(gw.db, input, new Date(Date.now() - 24 * 3_600_000))
    const hex = (token: string) => Buffer.from(hashToken(token)).toString('hex')
    const from = await lastEventId()
    await gw.db
      .updateTable('sessions')
      .set({ pending: 'terms' })
      .where('tenant_id', '=', tenant.id)
      .where('membership_id', '=', membership.id)
      .where('expires_at', '>', new Date())
      .execute()
    await gw.db.deleteFrom('sessions').where('tenant_id', '=', tenant.id).execute()
    const key = revocationKeys.session(tenant.id, hex(live.token))
    expect(await keysSince(from)).toEqual([key, key])
    expect(await keysSince(from)).not.toContain(
      revocationKeys.session(tenant.id, hex(expired.token)),
    )
  })

  it("name a tenant whose settings or hosts change, and a user's email", async () => {
    const { tenant, user } = await aMember()
    const from = await lastEventId()
    await gw.db
      .updateTable('tenants')
      .set({ name: 'Renamed' })
      .where('id', '=', tenant.id)
      .execute()
    await gw.db
      .insertInto('tenant_hosts')
      .values({
        host: `${randomBytes(4).toString('hex')}.example`,
        tenant_id: tenant.id,
        is_primary: false,
      })
      .execute()
    await gw.db
      .updateTable('users')
      .set({ email: 'new@example.com' })
      .where('id', '=', user.id)
      .execute()
    expect(await keysSince(from)).toEqual([
      revocationKeys.tenant(tenant.id),
      revocationKeys.tenant(tenant.id),
      revocationKeys.user(user.id),
    ])
  })
})
