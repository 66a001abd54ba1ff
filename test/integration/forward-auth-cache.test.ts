import type { KyselyPlugin } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { separateApp } from '../support/harness.js'
import { authorize, relyingParty, useOidcGateway } from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 13: /auth/verify runs on every request of every protected app, so in the steady state it
// asks the database nothing: sessions and verified tokens are kept per process while the
// revocation view holds them (forward-auth-revocation.test.ts: and no longer). This app counts
// the statements it sends (the view's own polls aside: raw SQL, not counted).
const gw = await useOidcGateway()
const { member } = pageHelpers(gw)
let statements = 0
const counting: KyselyPlugin = {
  transformQuery: (args) => {
    if (args.node.kind !== 'RawNode') statements++
    return args.node
  },
  transformResult: async (args) => args.result,
}
const cachingApp = () =>
  separateApp(gw, {
    db: gw.db.withPlugin(counting),
    config: { ...gw.config, tenantCacheTtlMs: undefined },
  })

async function signedIn(email: string) {
  const { tenant, host } = await member(email)
  const rp = await relyingParty(gw, tenant)
  const flow = await authorize(rp.config, { email, password: PASSWORD })
  const session = flow.browser.jar.get(new URL(tenant.publicUrl).host)?.get('gw_session')
  return { tenant, host, flow, token: flow.tokens!.access_token, cookie: `gw_session=${session}` }
}

/** The statements one more verification sends, once the view has read its first events. */
async function statementsOfOne(verify: () => supertest.Test) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const before = statements
    expect((await verify()).status).toBe(200)
    if (statements === before) return 0
    await new Promise((r) => setTimeout(r, 100))
  }
  const before = statements
  await verify()
  return statements - before
}

describe('forward auth in the steady state', () => {
  it('answers a bearer token and a session cookie it has seen without a statement', async () => {
    const { host, token, cookie } = await signedIn('steady@example.com')
    const app = cachingApp()
    const verify = (headers: Record<string, string>) => () =>
      supertest(app).get('/auth/verify').set('Host', host).set(headers)
    const byToken = verify({ authorization: `Bearer ${token}` })
    const bySession = verify({ cookie })
    const first = statements
    expect((await byToken()).status).toBe(200)
    expect(statements, 'the first verification reads the database').toBeGreaterThan(first)
    expect(await statementsOfOne(byToken)).toBe(0)
    expect(await statementsOfOne(bySession)).toBe(0)
  })

  it('takes the bearer token when one is sent, and does not read the cookie', async () => {
    const { host, cookie } = await signedIn('both@example.com')
    const res = await supertest(gw.app)
      .get('/auth/verify')
      .set('Host', host)
      .set({ authorization: 'Bearer not-a-token', cookie })
    expect(res.status).toBe(401)
  })

  it('counts a session that still owes a step (Terms, a password change) as no credential: 401, not a redirect', async () => {
    const { tenant, host, cookie } = await signedIn('pending@example.com')
    await gw.db
      .updateTable('sessions')
      .set({ pending: 'terms' })
      .where('tenant_id', '=', tenant.id)
      .execute()
    const res = await supertest(gw.app).get('/auth/verify').set('Host', host).set({ cookie })
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
  })
})
