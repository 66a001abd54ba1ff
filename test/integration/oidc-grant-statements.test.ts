import type { KyselyPlugin } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { separateApp } from '../support/harness.js'
import {
  authorizationRequest,
  authorize,
  REDIRECT,
  relyingParty,
  useOidcTestSetUp,
  verifyAccessToken,
} from '../support/oidc.js'

// Issue 13 (bench/tokens.ts): every PostgreSQL round trip of a grant is paid by each of them. Per
// grant at the token endpoint, at most: the tenant (its cache is off in tests), the app, then
//   client credentials: the access token's record;
//   refresh and code exchange: the refresh token or code with its grant and session, the account
//   (membership and user), and one write (spent, with the tokens it issued).
// They were 3, 12 and 12.
const MAX = { clientCredentials: 3, refresh: 5, exchange: 5 }

const { gw, member, person } = await useOidcTestSetUp()

/** An app on gw's database that counts the statements it sends (BEGIN and COMMIT aside). */
function countingApp() {
  let statements: string[] | undefined
  const counter: KyselyPlugin = {
    transformQuery(args) {
      statements?.push(args.node.kind)
      return args.node
    },
    transformResult: async (args) => args.result,
  }
  const http = supertest(separateApp(gw, { db: gw.db.withPlugin(counter) }))
  return {
    http,
    async count<T>(action: () => Promise<T>): Promise<{ result: T; statements: number }> {
      statements = []
      try {
        const result = await action()
        return { result, statements: statements.length }
      } finally {
        statements = undefined
      }
    },
  }
}

const basic = (app: { clientId: string; clientSecret?: string | undefined }) =>
  `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`

describe('statements per grant at the token endpoint', () => {
  it('client credentials, refresh and code exchange each send a handful', async () => {
    const { tenant, host } = await member(person.email)
    const web = await relyingParty(gw, tenant)
    const machine = await relyingParty(gw, tenant, { name: 'Sync', type: 'machine' })
    const { tokens, browser } = await authorize(web.config, person)
    const { http, count } = countingApp()
    const token = (app: typeof web.app, form: Record<string, string>) =>
      http.post('/token').set('Host', host).set('Authorization', basic(app)).type('form').send(form)
    // The provider is built (its keys read) before counting.
    expect((await token(machine.app, { grant_type: 'client_credentials' })).status).toBe(200)

    const cc = await count(() => token(machine.app, { grant_type: 'client_credentials' }))
    expect(cc.result.status).toBe(200)
    await verifyAccessToken(tenant.publicUrl, cc.result.body.access_token)
    expect(cc.statements).toBeLessThanOrEqual(MAX.clientCredentials)

    const refresh = await count(() =>
      token(web.app, { grant_type: 'refresh_token', refresh_token: tokens!.refresh_token! }),
    )
    expect(refresh.result.status, refresh.result.text).toBe(200)
    expect(refresh.result.body.refresh_token).not.toBe(tokens!.refresh_token)
    expect(refresh.statements).toBeLessThanOrEqual(MAX.refresh)

    const { url, verifier } = await authorizationRequest(web.config, { scope: 'openid' })
    const at = await browser.follow(url)
    const code = at.url.searchParams.get('code')!
    const exchange = await count(() =>
      token(web.app, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    )
    expect(exchange.result.status, exchange.result.text).toBe(200)
    expect(exchange.statements).toBeLessThanOrEqual(MAX.exchange)
    // What each wrote is there: the access tokens are live at forward auth.
    for (const answer of [refresh.result, exchange.result]) {
      const verified = await http
        .get('/auth/verify')
        .set('Host', host)
        .set('Authorization', `Bearer ${answer.body.access_token}`)
      expect(verified.status).toBe(200)
    }
  })
})

describe('a grant revoked while a refresh is under way', () => {
  it('issues nothing: the write finds the grant gone; invalid_grant, and the family ends', async () => {
    const { tenant, host } = await member(person.email)
    const web = await relyingParty(gw, tenant)
    const { tokens } = await authorize(web.config, person)
    // Right after the refresh token and its grant are read, the grant goes (a revocation
    // elsewhere; one that also deletes the refresh token is a lost race for it, as a replay).
    // The revocation is queued behind the read's connection (PGlite has one) and awaited
    // before the next statement's result, so it lands before the grant's write.
    const reads = new Set<unknown>()
    let revocation: Promise<unknown> | undefined
    const revokeAfterRead: KyselyPlugin = {
      transformQuery(args) {
        if (JSON.stringify(args.node).includes('grant_source_read')) reads.add(args.queryId)
        return args.node
      },
      async transformResult(args) {
        if (reads.delete(args.queryId))
          revocation = gw.db
            .deleteFrom('oidc_artefacts')
            .where('tenant_id', '=', tenant.id)
            .where('model', '=', 'Grant')
            .execute()
        else await revocation
        return args.result
      },
    }
    const issued = () =>
      gw.db
        .selectFrom('oidc_artefacts')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('model', 'in', ['AccessToken', 'RefreshToken'])
        .orderBy('id')
        .execute()
    const http = supertest(separateApp(gw, { db: gw.db.withPlugin(revokeAfterRead) }))
    const res = await http
      .post('/token')
      .set('Host', host)
      .set('Authorization', basic(web.app))
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: tokens!.refresh_token! })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_grant')
    expect(res.body.access_token).toBeUndefined()
    // Nor does anything of the grant live on: its refresh token and access token are revoked.
    expect(await issued()).toEqual([])
  })
})
