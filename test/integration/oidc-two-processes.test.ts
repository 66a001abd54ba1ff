import * as client from 'openid-client'
import { describe, expect, it } from 'vitest'
import { onPostgres } from '../support/database.js'
import {
  authorizationRequest,
  authorize,
  endSession,
  httpBrowser,
  REDIRECT,
  relyingParty,
} from '../support/oidc.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'
import { useTwoGateways } from '../support/two-gateways.js'

// Issue 4, Storage: "two gateway processes behind one load balancer serve one login flow between
// them". A round-robin balancer sends each request to the other gateway than the one before. On
// PostgreSQL the two are real `gateway serve` processes; on PGlite (one process per database)
// they are two apps built apart in this process, sharing nothing but the database.
const { gw, hops } = await useTwoGateways((n) => n % 2)
const { member } = pageHelpers(gw)

describe(`one login flow served by two gateways (${onPostgres() ? 'processes' : 'apps'})`, () => {
  it('authorizes, signs in, exchanges the code, refreshes and logs out across both', async () => {
    const person = { email: 'ada@example.com', password: PASSWORD }
    const { tenant } = await member(person.email)
    const { config } = await relyingParty(gw, tenant)
    const browser = httpBrowser()

    const { tokens, at } = await authorize(config, person, { browser })
    expect(at.url.href.startsWith(REDIRECT)).toBe(true)
    expect(tokens?.claims()?.email).toBe(person.email)

    // Every step of the flow went to the other gateway than the step before: what one stored
    // (interaction, session, code), the other read.
    const flow = hops.filter((h) => /^\/(auth|interaction|login)/.test(h.path))
    expect(flow.length, JSON.stringify(flow)).toBeGreaterThanOrEqual(6)
    flow.forEach((hop, i) => i > 0 && expect(hop.backend).not.toBe(flow[i - 1]!.backend))

    const info = await client.fetchUserInfo(config, tokens!.access_token, tokens!.claims()!.sub)
    expect(info.email).toBe(person.email)
    const refreshed = await client.refreshTokenGrant(config, tokens!.refresh_token!)
    const again = await client.refreshTokenGrant(config, refreshed.refresh_token!)
    expect(again.access_token).toBeTruthy()
    // The rotated refresh token is refused by whichever gateway gets it.
    for (let i = 0; i < 2; i++)
      await expect(client.refreshTokenGrant(config, tokens!.refresh_token!)).rejects.toThrow()

    // Single sign-on for a second app of the tenant, whichever gateway answers.
    const second = await relyingParty(gw, tenant, {
      name: 'Back office',
      type: 'web',
      redirectUris: [REDIRECT],
    })
    for (let i = 0; i < 2; i++) {
      const sso = await authorize(second.config, person, { browser })
      expect(sso.tokens?.claims()?.sub).toBe(tokens!.claims()!.sub)
    }
    expect(
      hops.filter((h) => h.method === 'POST' && h.path === '/login'),
      'signed in once',
    ).toHaveLength(1)

    const out = await endSession(browser, config, again.id_token!)
    expect(out.res.status).toBe(200)
    // Logged out on both: a new authorization asks for the password, whichever gateway answers.
    for (let i = 0; i < 2; i++) {
      const { url } = await authorizationRequest(config)
      expect((await browser.follow(url)).url.pathname).toBe('/login')
    }
  })
})
