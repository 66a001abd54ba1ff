import { describe, expect, it } from 'vitest'
import { AppError } from '../../src/errors.js'
import { changePassword } from '../../src/identity/login.js'
import { findSession } from '../../src/identity/sessions.js'
import { signIn, signInLimits } from '../../src/identity/sign-in.js'
import { publishTerms } from '../../src/identity/terms.js'
import { answerTerms, openTermsDocument, showTerms } from '../../src/identity/terms-step.js'
import { acceptInvitation } from '../../src/invitations/activation.js'
import type { Tenant } from '../../src/tenants/tenants.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// The use-case functions behind the login, password and Terms pages and the invitation link,
// called without HTTP: expected refusals come back as values, the caller owns the transaction.
const gw = useGateway()
const { store, invite, member } = pageHelpers(gw)
const deps = () => ({ limits: signInLimits(gw.db), hasher: gw.hasher })
const attempt = (tenant: Tenant, email: string, password: string, clientKey = '192.0.2.1') =>
  signIn(gw.db, tenant, { email, password, clientKey }, deps())

const failedLogins = (email: string) =>
  gw.db
    .selectFrom('credentials as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .select('c.failed_logins')
    .where('u.email_key', '=', email)
    .executeTakeFirstOrThrow()

async function sessionFor(tenant: Tenant, email: string) {
  const started = await attempt(tenant, email, PASSWORD)
  if (!started.ok) throw new Error('not signed in')
  const session = await findSession(gw.db, tenant.id, started.session.token)
  if (!session) throw new Error('no session')
  return session
}

describe('signIn', () => {
  it('answers a wrong password and an unknown email with the same refusal, as a value', async () => {
    const { tenant } = await member('sign-in@example.com')
    expect(await attempt(tenant, 'sign-in@example.com', 'wrong password 123')).toEqual({
      ok: false,
      reason: 'refused',
    })
    expect(await attempt(tenant, 'nobody@example.com', PASSWORD)).toEqual({
      ok: false,
      reason: 'refused',
    })
    const started = await attempt(tenant, 'sign-in@example.com', PASSWORD)
    expect(started).toMatchObject({ ok: true, session: { pending: null } })
  })

  it('says disabled only to the right password of a disabled membership', async () => {
    const { tenant } = await member('disabled@example.com')
    await gw.db
      .updateTable('memberships')
      .set({ status: 'disabled' })
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(await attempt(tenant, 'disabled@example.com', PASSWORD)).toEqual({
      ok: false,
      reason: 'disabled',
    })
    expect(await attempt(tenant, 'disabled@example.com', 'wrong password 123')).toEqual({
      ok: false,
      reason: 'refused',
    })
  })

  it('throttles an account after 10 failures from any address (OWASP ASVS 6.3.1), success resets it', async () => {
    const { tenant } = await member('throttle@example.com')
    for (let i = 0; i < 9; i++)
      await attempt(tenant, 'throttle@example.com', 'wrong password 123', `198.51.100.${i}`)
    // A success before the limit forgets the account's count ...
    expect((await attempt(tenant, 'throttle@example.com', PASSWORD)).ok).toBe(true)
    for (let i = 0; i < 10; i++)
      await attempt(tenant, 'throttle@example.com', 'wrong password 123', `203.0.113.${i}`)
    // ... and ten failures in a row block it, the right password included, before any hashing.
    const blocked = attempt(tenant, 'throttle@example.com', PASSWORD, '192.0.2.99')
    await expect(blocked).rejects.toMatchObject({ code: 'rate_limited' })
    await expect(blocked).rejects.toBeInstanceOf(AppError)
  })
})

describe('changePassword', () => {
  it('answers a wrong current password and a refused new one as values', async () => {
    const { tenant } = await member('change@example.com')
    const session = await sessionFor(tenant, 'change@example.com')
    const change = (current: string, password: string) =>
      changePassword(gw.db, tenant, session, { current, password }, gw.hasher)
    expect(await change('wrong password 123', 'a brand new passphrase 77')).toEqual({
      ok: false,
      reason: 'wrong_current',
    })
    expect(await change(PASSWORD, 'short')).toMatchObject({ ok: false, reason: 'rejected' })
    expect(await change(PASSWORD, 'a brand new passphrase 77')).toEqual({ ok: true, pending: null })
    expect((await attempt(tenant, 'change@example.com', 'a brand new passphrase 77')).ok).toBe(true)
  })
})

describe('the Terms step', () => {
  it('accepts a document only once it was opened and the box ticked, and only the version shown', async () => {
    const { tenant } = await store({ termsRequired: true })
    const terms = await gw.db
      .transaction()
      .execute((tx) =>
        publishTerms(tx, tenant.id, { title: 'Terms', documentUrl: 'https://example.com/t.pdf' }),
      )
    const { token } = await invite(tenant, 'terms@example.com')
    const accepted = await gw.db
      .transaction()
      .execute((tx) => acceptInvitation(tx, tenant, { token, password: PASSWORD }, gw.hasher))
    expect(accepted).toMatchObject({ ok: true, session: { pending: 'terms' } })
    const session = await sessionFor(tenant, 'terms@example.com')
    const reader = { session, secretKey: gw.config.secretKey, openedMark: undefined }
    expect(await showTerms(gw.db, tenant, reader)).toMatchObject({ kind: 'show', opened: false })

    const answer = (input: { version: number; accepted: boolean; openedMark?: string }) =>
      answerTerms(gw.db, tenant, { ...reader, ...input })
    expect(await answer({ version: terms.version, accepted: false })).toMatchObject({
      kind: 'show',
      problems: ['open_first', 'must_accept'],
    })
    expect(await answer({ version: terms.version + 1, accepted: true })).toMatchObject({
      kind: 'show',
      problems: ['changed'],
    })
    const membershipId = session.membership_id
    const secretKey = gw.config.secretKey
    expect(
      await openTermsDocument(gw.db, tenant, { membershipId, version: 'x', secretKey }),
    ).toBeUndefined()
    const document = await openTermsDocument(gw.db, tenant, {
      membershipId,
      version: String(terms.version),
      secretKey,
    })
    expect(document?.url).toBe('https://example.com/t.pdf')
    // A mark made for another member does not count.
    const foreign = await openTermsDocument(gw.db, tenant, {
      membershipId: '00000000-0000-4000-8000-000000000000',
      version: String(terms.version),
      secretKey,
    })
    expect(
      await answer({ version: terms.version, accepted: true, openedMark: foreign?.mark ?? '' }),
    ).toMatchObject({ kind: 'show', problems: ['open_first'] })
    expect(
      await answer({ version: terms.version, accepted: true, openedMark: document?.mark ?? '' }),
    ).toEqual({ kind: 'done', pending: null, accepted: true })
    expect(await showTerms(gw.db, tenant, reader)).toMatchObject({ kind: 'done', accepted: false })
  })
})

describe('acceptInvitation', () => {
  it('leaves the link unspent after a refused password and spends it once', async () => {
    const { tenant } = await store()
    const { token } = await invite(tenant, 'accept@example.com')
    const accept = (password: string) =>
      gw.db
        .transaction()
        .execute((tx) => acceptInvitation(tx, tenant, { token, password }, gw.hasher))
    expect(await accept('short')).toMatchObject({ ok: false, reason: 'rejected' })
    expect(await accept(PASSWORD)).toMatchObject({ ok: true })
    expect(await accept(PASSWORD)).toEqual({ ok: false, reason: 'invalid' })
  })

  it('counts a wrong password of a known user towards the lockout, in the committed transaction', async () => {
    const first = await member('known@example.com')
    const second = await store(undefined, undefined, first.tenant.slug)
    const { token } = await invite(second.tenant, 'known@example.com')
    const accept = (password: string) =>
      gw.db
        .transaction()
        .execute((tx) => acceptInvitation(tx, second.tenant, { token, password }, gw.hasher))
    expect(await accept('wrong password 123')).toEqual({ ok: false, reason: 'wrong_password' })
    expect((await failedLogins('known@example.com')).failed_logins).toBe(1)
    expect(await accept(PASSWORD)).toMatchObject({ ok: true })
  })
})
