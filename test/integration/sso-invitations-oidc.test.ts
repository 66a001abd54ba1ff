import { describe, expect, it } from 'vitest'
import type { Tenant } from '../../src/tenants/tenants.js'
import { declareCatalogue } from '../support/catalogues.js'
import { connectOidc, ssoBrowser, useCompanyIdp } from '../support/oidc-idp.js'
import { inviteMembers } from '../support/invite.js'
import {
  REDIRECT,
  authorizationRequest,
  exchangeCode,
  relyingParty,
  useOidcTestSetUp,
} from '../support/oidc.js'

// Seed 001 end to end, through a real company IdP (oidc-provider, test/support/oidc-idp.ts):
// an admin invites a partner into the company directory; the mail's link takes them to their
// company's sign-in, which accepts the invitation; someone else with the link is told it is not
// theirs. And home-realm discovery on the login page, up to an app's tokens.
const { gw, store, lastLink } = await useOidcTestSetUp()
const idp = useCompanyIdp()

idp.users.set('bob', {
  password: 'bob-at-partner',
  email: 'bob@partner.example',
  email_verified: true,
  given_name: 'Bob',
})
idp.users.set('carol', {
  password: 'carol-at-partner',
  email: 'carol@partner.example',
  email_verified: true,
})

async function partnerStore(emailDomains: string[] = []) {
  const { tenant } = await store()
  await declareCatalogue(gw.db, tenant.id, {
    roles: ['seller'],
    organizations: [{ name: 'Partner Inc', kind: 'seller' }],
  })
  const { directoryId } = await connectOidc(gw, tenant, idp, { emailDomains })
  return { tenant, directoryId }
}

async function invite(tenant: Tenant, directoryId: string) {
  const input = {
    invitees: [{ email: 'bob@partner.example' }],
    role: 'seller',
    organization: 'Partner Inc',
    directory: directoryId,
  }
  const [result] = await inviteMembers(gw.db, tenant, input, { secretKey: gw.config.secretKey })
  if (result?.status !== 'invited') throw new Error('not invited')
  const token = await lastLink(tenant, 'bob@partner.example', '/invite/')
  return { id: result.invitationId, link: new URL(`/invite/${token}`, tenant.publicUrl) }
}

const invitationStatus = async (id: string) =>
  (
    await gw.db
      .selectFrom('invitations')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).status

describe('an invitation into the company directory, through the company IdP', () => {
  it("accepts it at the invitee's company sign-in, with the invitation's grant", async () => {
    const { tenant, directoryId } = await partnerStore()
    const { id, link } = await invite(tenant, directoryId)
    const { answer } = await idp.signInFrom(link, 'bob')
    expect(answer.res.status).toBe(303)
    expect(answer.res.headers.get('location')).toBe('/')
    expect(await invitationStatus(id)).toBe('accepted')
    const member = await gw.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select([
        'users.subject',
        'users.email',
        'memberships.status',
        'memberships.role',
        'memberships.organization',
      ])
      .where('memberships.tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow()
    expect(member).toEqual({
      subject: 'bob',
      email: 'bob@partner.example',
      status: 'active',
      role: 'seller',
      organization: 'Partner Inc',
    })
  })

  it('tells another employee who opens the link that it is for someone else, and signs nobody in', async () => {
    const { tenant, directoryId } = await partnerStore()
    const { id, link } = await invite(tenant, directoryId)
    const { answer } = await idp.signInFrom(link, 'carol')
    expect(answer.res.status).toBe(403)
    expect(await answer.res.text()).toContain('This invitation was sent to another email address.')
    expect(answer.res.headers.getSetCookie().some((c) => c.startsWith('gw_session='))).toBe(false)
    expect(await invitationStatus(id)).toBe('pending')
    const sessions = await gw.db
      .selectFrom('sessions')
      .select('membership_id')
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(sessions).toEqual([])
  })
})

describe('home-realm discovery, through the company IdP', () => {
  it("sends a partner's address from the login page to the company's sign-in, and the app gets the tokens", async () => {
    const { tenant, directoryId } = await partnerStore(['partner.example'])
    const { config } = await relyingParty(gw, tenant)
    const request = await authorizationRequest(config, { scope: 'openid email' })
    const browser = ssoBrowser()
    const login = await browser.follow(request.url)
    expect(login.url.pathname).toBe('/login')
    const page = await login.res.text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1]
    const returnTo = /name="return_to" value="([^"]+)"/.exec(page)?.[1]
    expect(page).not.toContain('name="password"')
    const form = await browser.follow(new URL('/login', login.url), {
      form: { _csrf: csrf!, email: 'carol@partner.example', return_to: returnTo! },
    })
    expect(form.url.origin).toBe(idp.issuer)
    const back = await browser.signInAtIdp(form, 'carol', 'carol-at-partner', (url) =>
      url.href.startsWith(REDIRECT),
    )
    const tokens = await exchangeCode(config, back.next!, request)
    expect(tokens.claims()).toMatchObject({
      email: 'carol@partner.example',
      amr: ['pwd', 'mfa'],
      directory_id: directoryId,
      directory_kind: 'oidc',
    })
  })
})
