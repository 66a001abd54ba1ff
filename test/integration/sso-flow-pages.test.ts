import express from 'express'
import { sql } from 'kysely'
import supertest from 'supertest'
import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/identity/terms.js'
import { errorHandler } from '../../src/http/errors.js'
import { requestContext } from '../../src/http/request-context.js'
import { completeSsoSignIn } from '../../src/http/sso-finish.js'
import { resolveTenant } from '../../src/http/tenant.js'
import type { EnterpriseDirectory, SsoStart } from '../../src/sso/connection.js'
import { getTenant, type Tenant, updateSettings } from '../../src/tenants/tenants.js'
import { addDirectory, idpProfile, peopleOf } from '../support/enterprise.js'
import { memoryLog, useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { PASSWORD, cookieOf, pageHelpers } from '../support/pages.js'

// Issue 10, "The dedicated host" and home-realm discovery: where /login sends a person, on the
// store's hosts. The IdP round trip itself belongs to the SAML and OIDC files: here a sign-in
// ends at the redirect to /sso/:id/start, which the protocol code takes from there.
const gw = useGateway()
const { browser, member, store, invite, activate } = pageHelpers(gw)

const startOf = (directory: EnterpriseDirectory, query = '') => `/sso/${directory.id}/start${query}`

/** A store with a custom user database (alice@corp.example and dan@other.example have passwords). */
async function storeWithMembers() {
  const { tenant, host } = await member('alice@corp.example')
  const { token } = await invite(tenant, 'dan@other.example')
  await activate(browser(host), token)
  return { tenant, host }
}

describe('a host bound to a company directory', () => {
  async function dedicated() {
    const s = await storeWithMembers()
    const storeHost = `${s.tenant.slug}-store.localhost`
    const { tenant, directory } = await addDirectory(gw, s.tenant, { host: storeHost })
    return { ...s, tenant, directory, storeHost }
  }

  it('sends /login straight to the directory’s sign-in, with where to go afterwards', async () => {
    const { directory, storeHost, host } = await dedicated()
    const plain = await gw.get(storeHost, '/login')
    expect(plain.status).toBe(303)
    expect(plain.headers.location).toBe(startOf(directory))
    // The OpenID Provider's login prompt comes here with its interaction as return_to.
    const prompt = await gw.get(storeHost, '/login?return_to=/interaction/abc123')
    expect(prompt.headers.location).toBe(startOf(directory, '?return_to=%2Finteraction%2Fabc123'))
    // An open redirect is not carried along (return-to.ts).
    const evil = await gw.get(storeHost, '/login?return_to=//evil.example')
    expect(evil.headers.location).toBe(startOf(directory))
    // The tenant's other hosts keep the password form: this directory claims no email domain.
    const other = await gw.get(host, '/login')
    expect(other.status).toBe(200)
    expect(other.text).toContain('name="password"')
  })

  it('refuses a password there without checking or counting it (no password form on the dedicated host)', async () => {
    const { tenant, directory, storeHost } = await dedicated()
    // The CSRF token of another form of the host: as a script posting a password would do.
    const fields = { email: 'alice@corp.example', password: PASSWORD }
    const refused = await browser(storeHost).submit('/login', fields, '/forgot-password')
    expect(refused.status).toBe(403)
    expect(refused.text).toContain(`Continue with ${directory.name}`)
    expect(refused.text).toContain(`href="${startOf(directory)}"`)
    expect(cookieOf(refused, 'gw_session')).toBeUndefined()
    const counted = await sql<{ n: number }>`select count(*)::int as n from rate_limits
      where key like ${`login-%${tenant.databaseDirectoryId}%`}`.execute(gw.db)
    expect(counted.rows[0]?.n).toBe(0)
  })
})

describe('home-realm discovery (a directory with email domains)', () => {
  async function discovering() {
    const s = await storeWithMembers()
    const { tenant, directory } = await addDirectory(gw, s.tenant, {
      emailDomains: ['corp.example'],
    })
    return { ...s, tenant, directory }
  }

  it('asks for the email first, in an accessible form of the store’s language', async () => {
    const { host } = await discovering()
    const page = await gw
      .get(host, '/login?return_to=/interaction/abc')
      .set('Accept-Language', 'fr')
    expect(page.status).toBe(200)
    expect(page.text).toContain('<html lang="fr">')
    expect(page.text).toContain('Saisissez votre adresse e-mail')
    expect(page.text).toContain('<label for="email">Adresse e-mail</label>')
    expect(page.text).toContain('autocomplete="username"')
    expect(page.text).toContain('name="_csrf"')
    expect(page.text).toContain('name="return_to" value="/interaction/abc"')
    expect(page.text).not.toContain('name="password"')
  })

  it("sends an address of the directory's domains to its sign-in, carrying return_to", async () => {
    const { host, directory } = await discovering()
    const b = browser(host)
    for (const email of ['alice@corp.example', 'Nobody@CORP.example', ' someone@corp.example ']) {
      const res = await b.submit('/login', { email, return_to: '/interaction/abc' })
      expect(res.status, email).toBe(303)
      expect(res.headers.location).toBe(startOf(directory, '?return_to=%2Finteraction%2Fabc'))
    }
  })

  it('gives everyone else the password form, email filled in, and signs them in with it', async () => {
    const { host } = await discovering()
    const b = browser(host)
    const form = await b.submit('/login', { email: 'dan@other.example' })
    expect(form.status).toBe(200)
    expect(form.text).toContain('name="password"')
    expect(form.text).toContain('value="dan@other.example"')
    expect(form.text).toContain('Use another email address')
    const signedIn = await b.submit('/login', { email: 'dan@other.example', password: PASSWORD })
    expect(signedIn.status).toBe(303)
    expect(cookieOf(signedIn, 'gw_session')).toBeDefined()
  })

  it('decides on the domain alone: known and unknown addresses get the same answer (no user enumeration)', async () => {
    const { host } = await discovering()
    const b = browser(host)
    const known = await b.submit('/login', { email: 'dan@other.example' })
    const unknown = await b.submit('/login', { email: 'ghost@other.example' })
    expect(unknown.status).toBe(known.status)
    const csrfFree = (text: string, email: string) =>
      text.replace(email, 'x').replace(/name="_csrf" value="[^"]+"/, '')
    expect(csrfFree(unknown.text, 'ghost@other.example')).toBe(
      csrfFree(known.text, 'dan@other.example'),
    )
  })

  it("never checks a password for the directory's domains: the company's sign-in cannot be bypassed", async () => {
    const { host, directory } = await discovering()
    const res = await browser(host).submit('/login', {
      email: 'alice@corp.example',
      password: PASSWORD,
    })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe(startOf(directory))
    expect(cookieOf(res, 'gw_session')).toBeUndefined()
  })

  it('refuses the email step without its CSRF token (OWASP ASVS 5.0 V3)', async () => {
    const { host } = await discovering()
    const res = await browser(host).post('/login', { email: 'alice@corp.example' })
    expect(res.status).toBe(403)
  })

  it('is rate limited per address, like the login form', async () => {
    const { tenant, host } = await discovering()
    await sql`insert into rate_limits (key, points, expires_at)
      values (${`login-email-ip:${tenant.id}:127.0.0.1`}, 300, now() + interval '5 minutes')`.execute(
      gw.db,
    )
    const res = await browser(host).submit('/login', { email: 'alice@corp.example' })
    expect(res.status).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('leaves the login page exactly as it was for a store whose directories claim no domain', async () => {
    const plain = await store()
    const withDirectory = await store()
    await addDirectory(gw, withDirectory.tenant, { emailDomains: [] })
    const normal = (res: supertest.Response, tenant: Tenant) =>
      res.text.replaceAll(tenant.name, 'STORE').replace(/name="_csrf" value="[^"]+"/, '')
    const a = await gw.get(plain.host, '/login')
    const b = await gw.get(withDirectory.host, '/login')
    expect([a.status, b.status]).toEqual([200, 200])
    expect(normal(b, withDirectory.tenant)).toBe(normal(a, plain.tenant))
  })
})

describe('a store without a user database (company sign-in only)', () => {
  async function companyOnly(count: 1 | 2) {
    const { tenant: created } = await store()
    await gw.db
      .deleteFrom('tenant_directories')
      .where('tenant_id', '=', created.id)
      .where('directory_id', '=', created.databaseDirectoryId!)
      .execute()
    const first = await addDirectory(gw, created, { name: 'Corp', emailDomains: ['corp.example'] })
    const second = count === 2 ? await addDirectory(gw, created, { name: 'Subsidiary' }) : undefined
    const tenant = await getTenant(gw.db, created.slug, gw.config)
    return {
      tenant,
      host: `${tenant.slug}.localhost`,
      first: first.directory,
      second: second?.directory,
    }
  }

  it('goes straight to its one directory from every host', async () => {
    const { host, first } = await companyOnly(1)
    const res = await gw.get(host, '/login')
    expect(res.headers.location).toBe(startOf(first))
  })

  it('asks for the email, offers each directory by name, and says so when an address has none', async () => {
    const { host, first, second } = await companyOnly(2)
    const page = await gw.get(host, '/login')
    expect(page.text).toContain(`href="${startOf(first)}">Continue with Corp`)
    expect(page.text).toContain(`href="${startOf(second!)}">Continue with Subsidiary`)
    expect(page.text).not.toContain('/forgot-password')
    const b = browser(host)
    expect((await b.submit('/login', { email: 'a@corp.example' })).headers.location).toBe(
      startOf(first),
    )
    const none = await b.submit('/login', { email: 'a@elsewhere.example', password: 'x' })
    expect(none.status).toBe(422)
    expect(none.text).toContain('This address cannot sign in to this store.')
    expect(none.text).toContain(
      'aria-describedby="login-error email-intro" value="a@elsewhere.example" aria-invalid="true"',
    )
    expect(none.text).toContain('<p class="error" role="alert" id="login-error">')
  })
})

describe('the start of a company sign-in', () => {
  it('says at once that an invitation link is dead, before any trip to the IdP', async () => {
    const { tenant, host } = await store()
    const { directory } = await addDirectory(gw, tenant)
    const res = await gw.get(host, startOf(directory, `?invitation=${crypto.randomUUID()}`))
    expect(res.status).toBe(400)
    expect(res.text).toContain('This link is no longer valid')
    expect(res.headers['cache-control']).toBe('no-store')
  })
})

describe('the end of a company sign-in (completeSsoSignIn)', () => {
  /** The protocol routes' last step, behind the gateway's own tenant resolution. */
  function finisher(directory: EnterpriseDirectory, start: SsoStart, profile = idpProfile()) {
    const { log, lines } = memoryLog()
    const app = express()
    app.use(requestContext(log), resolveTenant(gw.db, gw.config, 0))
    app.get('/finish', (req, res) => completeSsoSignIn(req, res, gw, { directory, profile, start }))
    app.use(errorHandler)
    return { app, lines }
  }

  it('sends a person who owes the Terms to them first, with the session started', async () => {
    const { tenant: created, host } = await store()
    await updateSettings(gw.db, created, { termsRequired: true }, gw.config.passwordPolicies)
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, created.id, { title: 'Terms', text: 'Be kind.' }))
    const { tenant, directory } = await addDirectory(gw, created)
    const { app } = finisher(directory, { returnTo: '/interaction/abc' })
    const res = await supertest(app).get('/finish').set('Host', host)
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/terms')
    expect(cookieOf(res, 'gw_session')).toBeDefined()
    expect(cookieOf(res, 'gw_return')).toContain('%2Finteraction%2Fabc')
    expect((await peopleOf(gw, tenant, directory.id)).sessions).toHaveLength(1)
  })

  it('tells someone with another person’s invitation so, in the store’s language, and logs why', async () => {
    const { tenant: created, host } = await store()
    const { tenant, directory } = await addDirectory(gw, created, { kind: 'oidc' })
    const [invited] = await inviteMembers(
      gw.db,
      tenant,
      { invitees: [{ email: 'bob@partner.example' }], directory: directory.id },
      { secretKey: gw.config.secretKey },
    )
    const invitationId = invited?.status === 'invited' ? invited.invitationId : ''
    const { app, lines } = finisher(directory, { returnTo: '/', invitationId })
    const res = await supertest(app).get('/finish').set('Host', host).set('Accept-Language', 'de')
    expect(res.status).toBe(403)
    expect(res.text).toContain('Diese Einladung wurde an eine andere E-Mail-Adresse gesendet.')
    expect(cookieOf(res, 'gw_session')).toBeUndefined()
    expect(lines()).toContainEqual(
      expect.objectContaining({ event: 'sso_refused', reason: 'invitation_other' }),
    )
    expect((await peopleOf(gw, tenant, directory.id)).sessions).toEqual([])
  })

  it('answers an invitation that is no longer usable with the invalid-link page', async () => {
    const { tenant: created, host } = await store()
    const { directory } = await addDirectory(gw, created)
    const { app } = finisher(directory, { returnTo: '/', invitationId: crypto.randomUUID() })
    const res = await supertest(app).get('/finish').set('Host', host)
    expect(res.status).toBe(403)
    expect(res.text).toContain('This link is no longer valid')
  })
})
