import { hash } from '@node-rs/argon2'
import { describe, expect, it } from 'vitest'
import { DEFAULT_ARGON2_PARAMS } from '../../src/identity/hashing.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// SECURITY-NOTES "Passwords", OWASP ASVS V6: what an attacker can make the hasher do, and what a
// stolen session may not do.
const gw = useGateway()
const { browser, store, invite, member } = pageHelpers(gw)

const credentialOf = (email: string) =>
  gw.db
    .selectFrom('credentials as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .select(['c.password_hash', 'c.failed_logins', 'c.policy'])
    .where('u.email_key', '=', email)
    .executeTakeFirstOrThrow()

describe('password handling', () => {
  it('refuses a 1 MB password before any hashing (413), on login and on activation', async () => {
    const s = await store()
    const { token } = await invite(s.tenant, 'big@example.com')
    const huge = 'x'.repeat(1_000_000)
    const b = browser(s.host)
    expect(
      (await b.submit('/login', { email: 'big@example.com', password: huge }, '/login')).status,
    ).toBe(413)
    const activation = await b.submit(`/invite/${token}`, {
      password: huge,
      password_confirm: huge,
    })
    expect(activation.status).toBe(413)
    // The link was not spent: the refusal happened before the claim.
    expect((await b.get(`/invite/${token}`)).status).toBe(200)
  })

  it('records the policy a password was checked against', async () => {
    await member('policy@example.com', { passwordPolicy: 'short-6' })
    expect((await credentialOf('policy@example.com')).policy).toMatchObject({ minLength: 6 })
  })

  it('rehashes at login when the argon2 parameters changed', async () => {
    const s = await member('rehash@example.com')
    const weak = await hash(PASSWORD, {
      algorithm: 2,
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
    })
    await gw.db
      .updateTable('credentials')
      .set({ password_hash: weak })
      .where('user_id', 'in', (eb) =>
        eb.selectFrom('users').select('id').where('email_key', '=', 'rehash@example.com'),
      )
      .execute()
    expect(
      (await browser(s.host).submit('/login', { email: 'rehash@example.com', password: PASSWORD }))
        .status,
    ).toBe(303)
    const { password_hash } = await credentialOf('rehash@example.com')
    expect(password_hash).toContain(
      `m=${DEFAULT_ARGON2_PARAMS.memoryCost},t=${DEFAULT_ARGON2_PARAMS.timeCost}`,
    )
  })

  it('asks for the current password before a voluntary change (a stolen session is not enough)', async () => {
    const s = await member('change@example.com')
    const b = browser(s.host)
    await b.submit('/login', { email: 'change@example.com', password: PASSWORD })
    const form = await b.get('/password/change')
    expect(form.text).toContain('name="current_password"')
    const next = 'a brand new passphrase 7'
    const refused = await b.submit('/password/change', {
      current_password: 'wrong guess 123',
      password: next,
      password_confirm: next,
    })
    expect(refused.status).toBe(401)
    const done = await b.submit('/password/change', {
      current_password: PASSWORD,
      password: next,
      password_confirm: next,
    })
    expect(done.status).toBe(303)
    expect(
      (await browser(s.host).submit('/login', { email: 'change@example.com', password: next }))
        .status,
    ).toBe(303)
  })

  it('counts a wrong password given on an invitation link towards the lockout, without spending the link', async () => {
    const a = await member('twice@example.com')
    const b = await store(undefined, undefined, a.tenant.slug)
    const { token } = await invite(b.tenant, 'twice@example.com')
    const page = browser(b.host)
    expect((await page.submit(`/invite/${token}`, { password: 'not my password 1' })).status).toBe(
      401,
    )
    expect((await credentialOf('twice@example.com')).failed_logins).toBe(1)
    expect((await page.submit(`/invite/${token}`, { password: PASSWORD })).status).toBe(303)
    expect((await credentialOf('twice@example.com')).failed_logins).toBe(0)
  })
})
