import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.js'
import { guardedFetch } from '../../src/sso/fetch.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { onPostgres } from '../support/database.js'
import { memoryLog, useGateway } from '../support/harness.js'
import {
  atCallback,
  connectOidc,
  type Scenario,
  ssoBrowser,
  useHostileIdp,
} from '../support/oidc-idp.js'
import { useListening } from '../support/oidc.js'
import { pageHelpers } from '../support/pages.js'
import { freePort } from '../support/process.js'

// Issue 10, "Bad input and attacks", OIDC: a hostile IdP (or someone between it and the person)
// answers each sign-in with one crafted flaw. Each ends in a clean page in the store's language,
// a logged sso_refused event, no user and no session. The first test is the control: the same
// stand-in, answering well, signs the person in, so each refusal below is its flaw's doing.

const hostile = useHostileIdp()
const entra = useHostileIdp({ entra: true })

// The gateway reaches Entra's public host through its stand-in; everything else as in production.
const port = await freePort()
const gw = useGateway({ PUBLIC_URL_TEMPLATE: `http://{host}:${port}` })
const { log, lines } = memoryLog()
beforeAll(() => {
  const guarded = guardedFetch({ development: true })
  const ssoFetch = (url: string, init?: RequestInit) => guarded(entra.toStandIn(url).href, init)
  gw.app = createApp({
    config: gw.config,
    db: gw.db,
    log,
    readiness: gw.readiness,
    hasher: gw.hasher,
    ssoFetch,
  })
})
useListening(gw, port)
const { store } = pageHelpers(gw)

const FRENCH_TITLE = 'La connexion avec votre entreprise a échoué'
const startUrl = (tenant: Tenant, directoryId: string) =>
  new URL(`/sso/${directoryId}/start?return_to=/`, tenant.publicUrl)

/** A store (in French) with a directory at `idp` answering by `scenario`; its sign-in started. */
async function begin(
  scenario: Scenario,
  options: Parameters<typeof connectOidc>[3] = {},
  idp = hostile,
) {
  const { tenant } = await store({ defaultLocale: 'fr' })
  const { directoryId } = await connectOidc(gw, tenant, idp, { ...options, scenario })
  const browser = ssoBrowser((url) => entra.toStandIn(url))
  const at = await browser.follow(startUrl(tenant, directoryId), { until: atCallback })
  expect(
    at.next,
    `the IdP sent the browser back (${at.res.status} at ${at.url.href})`,
  ).toBeDefined()
  return { tenant, directoryId, browser, callback: at.next! }
}

const usersOf = (directoryId: string) =>
  gw.db.selectFrom('users').select('id').where('directory_id', '=', directoryId).execute()
const sessionsOf = (tenant: Tenant) =>
  gw.db.selectFrom('sessions').select('membership_id').where('tenant_id', '=', tenant.id).execute()
const refusalsOf = (directoryId: string) =>
  lines().filter((l) => l.event === 'sso_refused' && l.directory === directoryId)

/** The clean refusal: a 4xx page in French, the reason logged, no user and no session. */
async function expectRefused(
  attempt: { tenant: Tenant; directoryId: string },
  answer: { res: Response },
  reason: string,
  detail?: RegExp,
) {
  const { res } = answer
  expect(res.status).toBeGreaterThanOrEqual(400)
  expect(res.status).toBeLessThan(500)
  expect(res.headers.get('content-type')).toMatch(/^text\/html/)
  expect(await res.text()).toContain(FRENCH_TITLE)
  expect(res.headers.getSetCookie().filter((c) => c.startsWith('gw_session='))).toEqual([])
  const [refusal, ...more] = refusalsOf(attempt.directoryId)
  expect(more).toEqual([])
  expect(refusal).toMatchObject({ tenant: attempt.tenant.slug, protocol: 'oidc', reason })
  if (detail) expect(refusal?.detail).toMatch(detail)
  expect(await usersOf(attempt.directoryId)).toEqual([])
  expect(await sessionsOf(attempt.tenant)).toEqual([])
}

async function refusedFor(scenario: Scenario, reason: string, detail?: RegExp) {
  const attempt = await begin(scenario)
  await expectRefused(attempt, await attempt.browser.request(attempt.callback), reason, detail)
}

describe('OIDC callback: what a hostile IdP or a forged callback meets', () => {
  it('control: the stand-in answering well signs the person in', async () => {
    const attempt = await begin({})
    const answer = await attempt.browser.request(attempt.callback)
    expect(answer.res.status).toBe(303)
    expect(answer.res.headers.getSetCookie().some((c) => c.startsWith('gw_session='))).toBe(true)
    expect(await usersOf(attempt.directoryId)).toHaveLength(1)
    expect(refusalsOf(attempt.directoryId)).toEqual([])
  })

  it('refuses a state it did not issue to this browser (RFC 6749 10.12, OIDC Core 3.1.2.7)', () =>
    refusedFor({ answer: { state: 'a-state-the-gateway-never-issued' } }, 'unknown_state'))

  it('refuses an ID token whose nonce is not the request’s (OIDC Core 3.1.3.7 #11)', () =>
    refusedFor({ claims: { nonce: 'another-sign-in' } }, 'response_refused', /"nonce"/))

  it('refuses an ID token of another issuer (OIDC Core 3.1.3.7 #2)', () =>
    refusedFor({ claims: { iss: 'https://evil.example' } }, 'response_refused', /"iss"/))

  it('refuses an ID token for another audience (OIDC Core 3.1.3.7 #3, RFC 8725 3.9)', () =>
    refusedFor({ claims: { aud: 'another-client' } }, 'response_refused', /"aud"/))

  it('refuses an unsigned ID token, alg none, though discovery lists none (RFC 8725 3.1)', () =>
    refusedFor({ sign: 'none' }, 'response_refused'))

  it('refuses an ID token HMAC-signed with the IdP’s public key (RFC 8725 2.1, 3.1)', () =>
    refusedFor({ sign: 'hmac-public-key' }, 'response_refused'))

  it('refuses an ID token whose signature does not verify (OIDC Core 3.1.3.7 #6)', () =>
    refusedFor({ sign: 'tampered' }, 'response_refused', /signature/))

  it('refuses an ID token signed by a key the IdP does not publish (unknown kid)', () =>
    refusedFor({ sign: 'unknown-kid' }, 'response_refused', /key/))

  it('refuses an ID token signed well by another algorithm than the pinned one (RFC 8725 3.1)', () =>
    refusedFor({ sign: 'es256' }, 'response_refused', /"alg"/))

  it('refuses an authorization response whose iss names another issuer (RFC 9207 2.4)', () =>
    refusedFor({ answer: { iss: 'https://evil.example' } }, 'response_refused', /"iss"/))

  it('refuses an authorization response without iss when the IdP says it sends one (RFC 9207 2.4)', () =>
    refusedFor({ answer: { iss: null } }, 'response_refused', /"iss"/))

  it('ends an error answer from the IdP in the same clean page (RFC 6749 4.1.2.1)', () =>
    refusedFor(
      {
        answer: {
          code: null,
          error: 'access_denied',
          error_description: 'The user is not assigned',
        },
      },
      'idp_error',
      /^access_denied: The user is not assigned$/,
    ))

  it('refuses an expired ID token (OIDC Core 3.1.3.7 #9)', () =>
    refusedFor({ expiresIn: -600 }, 'response_refused', /"exp"/))

  it('allows SSO_CLOCK_SKEW (60 s here) on ID-token times, more than openid-client’s 30 s', async () => {
    const attempt = await begin({ expiresIn: -45 })
    expect((await attempt.browser.request(attempt.callback)).res.status).toBe(303)
  })

  it('refuses an address the IdP says it has not verified', () =>
    refusedFor({ claims: { email_verified: false } }, 'email_unverified'))

  it('refuses a replayed callback: each state is used once (RFC 9700 4.2.4, OWASP ASVS 5.0 V10)', async () => {
    // The stand-in lets a code be redeemed twice: the gateway's single use is what stops it.
    const attempt = await begin({})
    expect((await attempt.browser.request(attempt.callback)).res.status).toBe(303)
    const again = await attempt.browser.request(attempt.callback)
    expect(again.res.status).toBe(400)
    expect(await again.res.text()).toContain(FRENCH_TITLE)
    expect(refusalsOf(attempt.directoryId)).toMatchObject([{ reason: 'unknown_state' }])
    expect(again.res.headers.getSetCookie().filter((c) => c.startsWith('gw_session='))).toEqual([])
    expect(await sessionsOf(attempt.tenant)).toHaveLength(1)
  })

  it('refuses a callback opened in another browser than the one that started it (login CSRF, RFC 9700 4.7)', async () => {
    const attempt = await begin({})
    // The victim's browser holds a binding value of its own (it started a sign-in too).
    const victim = ssoBrowser()
    await victim.request(startUrl(attempt.tenant, attempt.directoryId))
    expect(victim.cookie(attempt.callback.host)).toMatch(/gw_sso_browser=/)
    await expectRefused(attempt, await victim.request(attempt.callback), 'browser_mismatch')
  })

  it('refuses a callback from a browser that holds no binding at all (login CSRF)', async () => {
    const attempt = await begin({})
    await expectRefused(attempt, await ssoBrowser().request(attempt.callback), 'browser_mismatch')
  })

  it('refuses a state begun for another directory of the store (OWASP ASVS 5.0 8.4.1)', async () => {
    const attempt = await begin({})
    const other = await connectOidc(gw, attempt.tenant, hostile)
    const elsewhere = new URL(attempt.callback.href.replace(attempt.directoryId, other.directoryId))
    const answer = await attempt.browser.request(elsewhere)
    await expectRefused({ ...attempt, directoryId: other.directoryId }, answer, 'unknown_state')
    // The sign-in it was begun for still finishes where it belongs.
    expect((await attempt.browser.request(attempt.callback)).res.status).toBe(303)
  })
})

describe('Entra ID multi-tenant (issuer https://login.microsoftonline.com/{tenantid}/v2.0)', () => {
  const ALLOWED = '11111111-2222-3333-4444-555555555555'
  const OTHER = '99999999-8888-7777-6666-555555555555'

  it('lets in an allowed Entra tenant, keyed by tid and sub', async () => {
    const attempt = await begin(
      { claims: { tid: ALLOWED } },
      { allowedTenantIds: [ALLOWED] },
      entra,
    )
    expect(attempt.callback.searchParams.has('iss')).toBe(false)
    const answer = await attempt.browser.request(attempt.callback)
    expect(answer.res.status).toBe(303)
    const [user] = await gw.db
      .selectFrom('users')
      .select('subject')
      .where('directory_id', '=', attempt.directoryId)
      .execute()
    expect(user?.subject).toMatch(new RegExp(`^${ALLOWED}:sub-gw-`))
  })

  it('refuses an Entra tenant the directory does not allow', async () => {
    const attempt = await begin({ claims: { tid: OTHER } }, { allowedTenantIds: [ALLOWED] }, entra)
    await expectRefused(
      attempt,
      await attempt.browser.request(attempt.callback),
      'tenant_not_allowed',
      new RegExp(OTHER),
    )
  })

  it('refuses an ID token whose issuer is another Entra tenant than its tid', async () => {
    const attempt = await begin(
      { claims: { tid: ALLOWED, iss: `https://login.microsoftonline.com/${OTHER}/v2.0` } },
      { allowedTenantIds: [ALLOWED] },
      entra,
    )
    await expectRefused(
      attempt,
      await attempt.browser.request(attempt.callback),
      'response_refused',
      /"iss"/,
    )
  })
})

describe.skipIf(!onPostgres())(
  'on PostgreSQL, the same callback sent at once from many requests',
  () => {
    it('signs in at most once (RFC 9700 4.2.4: single use under concurrency)', async () => {
      const attempt = await begin({})
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => attempt.browser.request(attempt.callback)),
      )
      const statuses = answers.map((a) => a.res.status).sort()
      expect(statuses).toEqual([303, 400, 400, 400, 400, 400, 400, 400])
      expect(await sessionsOf(attempt.tenant)).toHaveLength(1)
      expect(await usersOf(attempt.directoryId)).toHaveLength(1)
    })
  },
)
