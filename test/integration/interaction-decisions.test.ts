import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/tokens/apps.js'
import { decideInteraction, type OpenSignIn } from '../../src/tokens/interaction.js'
import { useGateway } from '../support/harness.js'
import { pageHelpers } from '../support/pages.js'

// The interaction step's decisions as a use case (tokens/interaction.ts), without HTTP.
const gw = useGateway()
const { member } = pageHelpers(gw)

async function setUp(email: string) {
  const { tenant } = await member(email)
  const { user_id } = await gw.db
    .selectFrom('memberships')
    .select('user_id')
    .where('tenant_id', '=', tenant.id)
    .executeTakeFirstOrThrow()
  const app = await createApp(gw.db, tenant.id, {
    name: 'Shop',
    type: 'web',
    redirectUris: ['https://app.example/cb'],
  })
  const signIn = (patch: Partial<OpenSignIn> = {}): OpenSignIn => ({
    uid: 'uid-1',
    iat: Math.floor(Date.now() / 1000),
    reasons: ['no_session'],
    clientId: app.clientId,
    scope: 'openid email',
    grantId: undefined,
    ...patch,
  })
  return { tenant, userId: user_id, app, signIn }
}

describe('decideInteraction', () => {
  it('sends a browser without a session to the login page', async () => {
    const { tenant, signIn } = await setUp('a@example.com')
    const outcome = await decideInteraction(gw.db, { tenant, signIn: signIn(), session: undefined })
    expect(outcome).toEqual({ kind: 'login', endSession: false, fresh: false })
    // prompt=login without a session: nothing to end, but the sign-in must still be fresh.
    const asked = signIn({ reasons: ['login_prompt'] })
    expect(await decideInteraction(gw.db, { tenant, signIn: asked, session: undefined })).toEqual({
      kind: 'login',
      endSession: false,
      fresh: true,
    })
  })

  it('ends a session older than prompt=login or max_age asks (OIDC Core 3.1.2.1)', async () => {
    const { tenant, userId, signIn } = await setUp('b@example.com')
    const session = { user_id: userId, created_at: new Date(Date.now() - 60_000), amr: ['pwd'] }
    for (const reason of ['login_prompt', 'max_age']) {
      const outcome = await decideInteraction(gw.db, {
        tenant,
        signIn: signIn({ reasons: [reason] }),
        session,
      })
      expect(outcome, reason).toEqual({ kind: 'login', endSession: true, fresh: true })
    }
  })

  it('finishes with the session as the login and the first-party grant to top up', async () => {
    const { tenant, userId, app, signIn } = await setUp('c@example.com')
    const created_at = new Date(Date.now() - 60_000)
    const outcome = await decideInteraction(gw.db, {
      tenant,
      signIn: signIn({ grantId: 'g1' }),
      session: { user_id: userId, created_at, amr: ['pwd'] },
    })
    expect(outcome).toEqual({
      kind: 'finish',
      login: { accountId: userId, ts: Math.floor(created_at.getTime() / 1000), amr: ['pwd'] },
      consent: { accountId: userId, clientId: app.clientId, scope: 'openid email', grantId: 'g1' },
    })
  })

  it('denies an account whose membership is disabled (OWASP ASVS 5.0 V8)', async () => {
    const { tenant, userId, signIn } = await setUp('d@example.com')
    await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('tenant_id', '=', tenant.id)
      .execute()
    const outcome = await decideInteraction(gw.db, {
      tenant,
      signIn: signIn(),
      session: { user_id: userId, created_at: new Date(), amr: ['pwd'] },
    })
    expect(outcome).toEqual({ kind: 'deny', description: 'This account may not use this app.' })
  })
})
