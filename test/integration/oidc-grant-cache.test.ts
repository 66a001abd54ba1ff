import type { KyselyPlugin } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { deleteApp, rotateAppSecret } from '../../src/tokens/apps.js'
import { separateApp } from '../support/harness.js'
import {
  authorizationRequest,
  authorize,
  REDIRECT,
  relyingParty,
  useOidcTestSetUp,
} from '../support/oidc.js'

// Issue 13 (bench/tokens.ts): every grant at the token endpoint reads its app, and a person's
// grant the account. With the revocation view on (production), each process keeps both while
// their events say they hold (src/revocation/), as forward auth keeps what it verified: in the
// steady state a client-credentials grant sends one statement (its token's record), a refresh
// or a code exchange two (the refresh token or code with its grant, then the one write). A
// changed or deleted app, a disabled member, is refused again within the view's second.
const { gw, member, person } = await useOidcTestSetUp()

let statements = 0
const counting: KyselyPlugin = {
  // The view's polls (raw SQL over revocation_events) are not counted.
  transformQuery: (args) => {
    const node = args.node as { kind: string; sqlFragments?: readonly string[] }
    if (!(node.kind === 'RawNode' && node.sqlFragments?.join('').includes('revocation_events')))
      statements++
    return args.node
  },
  transformResult: async (args) => args.result,
}
// Made on first use: gw's database opens before the tests.
let cachingApp: ReturnType<typeof separateApp> | undefined
const http = () =>
  supertest(
    (cachingApp ??= separateApp(gw, {
      db: gw.db.withPlugin(counting),
      config: { ...gw.config, tenantCacheTtlMs: undefined },
    })),
  )

const basic = (app: { clientId: string; clientSecret?: string | undefined }) =>
  `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`

const grant =
  (host: string, app: { clientId: string; clientSecret?: string | undefined }) =>
  (form: Record<string, string>) =>
    http().post('/token').set('Host', host).set('Authorization', basic(app)).type('form').send(form)

/**
 * The fewest statements `attempt` sends once the view has read its first events (it starts on
 * first use, and nothing is kept until then): tried until it sends at most `expected`.
 */
async function steadyStatements(attempt: () => Promise<void>, expected: number) {
  let fewest = Infinity
  for (let i = 0; i < 100 && fewest > expected; i++) {
    const before = statements
    await attempt()
    fewest = Math.min(fewest, statements - before)
    if (fewest > expected) await new Promise((r) => setTimeout(r, 50))
  }
  return fewest
}

/** Until `refused` holds of an attempt; how long it took (reported, not a threshold). */
async function refusedWithin(what: string, refused: () => Promise<boolean>) {
  const started = Date.now()
  while (!(await refused())) {
    if (Date.now() - started > 30_000) throw new Error(`${what}: still granted after 30 s`)
    await new Promise((r) => setTimeout(r, 25))
  }
  console.log(`${what}: refused after ${Date.now() - started} ms`)
}

/** A member signed in at a web app, and `refresh()`: the next grant of its refresh token chain. */
async function signedIn(email: string) {
  const { tenant, host } = await member(email)
  const web = await relyingParty(gw, tenant)
  const flow = await authorize(web.config, { email, password: person.password })
  expect(flow.tokens?.refresh_token).toBeTruthy()
  let refreshToken = flow.tokens!.refresh_token!
  const refresh = async () => {
    const res = await grant(
      host,
      web.app,
    )({ grant_type: 'refresh_token', refresh_token: refreshToken })
    if (res.status === 200) refreshToken = res.body.refresh_token
    return res
  }
  return { tenant, host, web, flow, refresh }
}

describe('grants at the token endpoint with the revocation view on', () => {
  it('read the app and the account once: one statement per client-credentials grant, two per refresh or exchange', async () => {
    const { tenant, host, web, flow, refresh } = await signedIn(person.email)
    const machine = await relyingParty(gw, tenant, { name: 'Sync', type: 'machine' })
    const cc = async () => {
      const res = await grant(host, machine.app)({ grant_type: 'client_credentials' })
      expect(res.status, res.text).toBe(200)
    }
    const refreshed = async () => {
      const res = await refresh()
      expect(res.status, res.text).toBe(200)
    }
    const exchange = async () => {
      const { url, verifier } = await authorizationRequest(web.config, { scope: 'openid' })
      const code = (await flow.browser.follow(url)).url.searchParams.get('code')!
      // Getting the code went through the uncounted app (gw.app): only the exchange counts.
      const res = await grant(
        host,
        web.app,
      )({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      })
      expect(res.status, res.text).toBe(200)
    }

    expect(await steadyStatements(cc, 1)).toBe(1)
    expect(await steadyStatements(refreshed, 2)).toBe(2)
    expect(await steadyStatements(exchange, 2)).toBe(2)
  })

  it('stores the record of each of concurrent client-credentials grants before its answer', async () => {
    const { tenant, host } = await member(person.email)
    const machine = await relyingParty(gw, tenant, { name: 'Busy', type: 'machine' })
    const cc = () => grant(host, machine.app)({ grant_type: 'client_credentials' })
    expect(await steadyStatements(async () => void (await cc()), 1)).toBe(1)

    // How many groups they make depends on how they arrive (test/unit/lib/group-write.test.ts
    // holds the grouping); at most one statement each, and every answer's record stored.
    const before = statements
    const answers = await Promise.all(Array.from({ length: 8 }, cc))
    console.log(`8 concurrent client-credentials grants: ${statements - before} statements`)
    expect(statements - before).toBeLessThanOrEqual(8)
    // Each token's record is there: the uncaching app (gw.app) reads it for every verification.
    for (const res of answers) {
      expect(res.status, res.text).toBe(200)
      const verified = await supertest(gw.app)
        .get('/auth/verify')
        .set('Host', host)
        .set('Authorization', `Bearer ${res.body.access_token}`)
      expect(verified.status).toBe(200)
    }
  })

  it("refuses an app's old secret once it is rotated, and a deleted app", async () => {
    const { tenant, host } = await member(person.email)
    const machine = await relyingParty(gw, tenant, { name: 'Rotated', type: 'machine' })
    const cc = grant(host, machine.app)
    expect(
      await steadyStatements(async () => void (await cc({ grant_type: 'client_credentials' })), 1),
    ).toBe(1)

    const rotated = await rotateAppSecret(gw.db, tenant.id, machine.app.clientId)
    await refusedWithin('the old secret', async () => {
      const res = await cc({ grant_type: 'client_credentials' })
      if (res.status === 401) expect(res.body.error).toBe('invalid_client')
      return res.status === 401
    })
    const fresh = grant(host, {
      clientId: machine.app.clientId,
      clientSecret: rotated.clientSecret,
    })
    expect((await fresh({ grant_type: 'client_credentials' })).status).toBe(200)

    await deleteApp(gw.db, tenant.id, machine.app.clientId)
    await refusedWithin('the deleted app', async () => {
      const res = await fresh({ grant_type: 'client_credentials' })
      return res.status === 401
    })
  })

  it("refuses a disabled member's refresh token", async () => {
    const { tenant, refresh } = await signedIn('kept@example.com')
    // Kept: the account is read once, then no more.
    expect(await steadyStatements(async () => void (await refresh()), 2)).toBe(2)

    const disabled = await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('tenant_id', '=', tenant.id)
      .where('user_id', '=', await userIdOf(tenant.id, 'kept@example.com'))
      .executeTakeFirst()
    expect(disabled.numUpdatedRows).toBe(1n)
    await refusedWithin('the disabled member', async () => {
      const res = await refresh()
      if (res.status !== 200) expect(res.body.error).toBe('invalid_grant')
      return res.status !== 200
    })
  })
})

/** The user behind the tenant's member with this address (other files' tenants may have one too). */
async function userIdOf(tenantId: string, email: string) {
  const user = await gw.db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select('users.id')
    .where('memberships.tenant_id', '=', tenantId)
    .where('users.email', '=', email)
    .executeTakeFirstOrThrow()
  return user.id
}
