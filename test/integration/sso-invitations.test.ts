import { describe, expect, it } from 'vitest'
import { revokeInvitation } from '../../src/invitations/lifecycle.js'
import type { EnterpriseDirectory } from '../../src/sso/connection.js'
import { type Tenant, updateSettings } from '../../src/tenants/tenants.js'
import { tenantWithKey } from '../support/admin-api.js'
import { declareCatalogue } from '../support/catalogues.js'
import { onPostgres } from '../support/database.js'
import { addDirectory, companySignIn, peopleOf } from '../support/enterprise.js'
import { useGateway } from '../support/harness.js'
import { inviteMembers } from '../support/invite.js'
import { DAY, PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 10, "Invitations into a directory" (seed 001: per invitee, the custom user database or
// the company's Microsoft Entra ID). The invitation's link starts the directory's sign-in; the
// first sign-in whose verified email matches accepts it, with the invitation's grant.
const gw = useGateway()
const { lastLink } = pageHelpers(gw)

const GRANT = {
  role: 'seller',
  groups: ['Partners'],
  products: ['crm'],
  organization: 'Partner Inc',
  kind: 'guest',
}
/** The membership GRANT gives (Everybody added), in `status`. */
const grantedMembership = (status: string) =>
  expect.objectContaining({
    status,
    role: 'seller',
    kind: 'guest',
    groups: ['Everybody', 'Partners'],
    products: ['crm'],
    organization: 'Partner Inc',
  })
const BOB = { subject: 'entra-oid-bob', email: 'bob@partner.example', firstName: 'Bob' }

async function partnerStore() {
  const { tenant: created, api } = await tenantWithKey(gw)
  await declareCatalogue(gw.db, created.id, {
    roles: ['seller'],
    groups: ['Partners'],
    organizations: [{ name: 'Partner Inc', kind: 'seller' }],
    products: ['crm'],
  })
  const { tenant, directory } = await addDirectory(gw, created, { kind: 'oidc' })
  return { tenant, directory, api, host: `${tenant.slug}.localhost` }
}

async function inviteInto(
  tenant: Tenant,
  directory: EnterpriseDirectory,
  email = BOB.email,
  now?: Date,
) {
  const ctx = { secretKey: gw.config.secretKey, ...(now && { now }) }
  const input = { invitees: [{ email, firstName: 'Bob' }], ...GRANT, directory: directory.id }
  const [result] = await inviteMembers(gw.db, tenant, input, ctx)
  if (result?.status !== 'invited') throw new Error(`not invited: ${JSON.stringify(result)}`)
  return { id: result.invitationId, token: await lastLink(tenant, email, '/invite/') }
}

const invitationRow = (id: string) =>
  gw.db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

describe('inviting into a company directory (admin API)', () => {
  it('accepts "directory", makes the person in that directory without a subject, invited', async () => {
    const { tenant, directory, api } = await partnerStore()
    const res = await api('post', '/invitations').send({
      invitees: [{ email: BOB.email, firstName: 'Bob' }],
      ...GRANT,
      directory: directory.id,
    })
    expect(res.status).toBe(200)
    expect(res.body.results[0]).toMatchObject({ email: BOB.email, status: 'invited' })
    const { users, memberships } = await peopleOf(gw, tenant, directory.id)
    expect(users).toEqual([expect.objectContaining({ email: BOB.email, subject: null })])
    expect(memberships).toEqual([grantedMembership('invited')])
    const invitation = await invitationRow(res.body.results[0].invitationId)
    expect(invitation.directory_id).toBe(directory.id)
    const listed = await api('get', '/invitations')
    expect(listed.body.items).toEqual([
      expect.objectContaining({ email: BOB.email, directory: directory.id, status: 'pending' }),
    ])
  })

  it('refuses a directory that is not one of this store’s company directories, naming the field', async () => {
    const { tenant, api } = await partnerStore()
    const other = await partnerStore()
    const refusals = [
      crypto.randomUUID(),
      other.directory.id, // another tenant's (OWASP ASVS 5.0 V8.4.1)
      tenant.databaseDirectoryId, // the store's own user database is the default, not a "directory"
      'not-a-uuid',
    ]
    for (const directory of refusals) {
      const res = await api('post', '/invitations').send({
        invitees: [{ email: BOB.email }],
        directory,
      })
      expect(res.status, String(directory)).toBe(400)
      expect(res.body.error).toBe('invalid_request')
      expect(Object.keys(res.body.details.fields)).toEqual(['directory'])
    }
    expect(
      (
        await gw.db
          .selectFrom('invitations')
          .select('id')
          .where('tenant_id', '=', tenant.id)
          .execute()
      ).length,
    ).toBe(0)
  })
})

describe("the invitation's link", () => {
  it('starts the directory’s sign-in for this invitation, without spending the link or asking a password', async () => {
    const { tenant, directory, host } = await partnerStore()
    const { id, token } = await inviteInto(tenant, directory)
    const open = await gw.get(host, `/invite/${token}`)
    expect(open.status).toBe(303)
    expect(open.headers.location).toBe(`/sso/${directory.id}/start?invitation=${id}`)

    // A password cannot accept it: the form is not there, and a posted one is sent on too.
    const b = pageHelpers(gw).browser(host)
    const csrf = await b.csrf('/login')
    const posted = await b.post(`/invite/${token}`, {
      _csrf: csrf,
      password: PASSWORD,
      password_confirm: PASSWORD,
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.location).toBe(`/sso/${directory.id}/start?invitation=${id}`)
    expect((await invitationRow(id)).status).toBe('pending')
    expect(
      await gw.db
        .selectFrom('credentials')
        .select('user_id')
        .where('directory_id', '=', directory.id)
        .execute(),
    ).toEqual([])
  })

  it('shows a native store’s install page first, then goes on to the sign-in', async () => {
    const { tenant: created, directory, host } = await partnerStore()
    const native = {
      kind: 'native',
      iosUrl: 'https://apps.apple.com/app/x',
      androidUrl: 'https://play.google.com/store/apps/x',
    }
    await updateSettings(gw.db, created, { store: native }, gw.config.passwordPolicies)
    const { id, token } = await inviteInto(created, directory)
    const install = await gw.get(host, `/invite/${token}`)
    expect(install.status).toBe(200)
    expect(install.text).toContain('Install the app')
    const next = await gw.get(host, `/invite/${token}?continue=1`)
    expect(next.headers.location).toBe(`/sso/${directory.id}/start?invitation=${id}`)
  })
})

describe('the first sign-in accepts it', () => {
  it("makes the invited person's identity theirs, with the invitation's role, groups, products and organization", async () => {
    const { tenant, directory, host } = await partnerStore()
    const { id, token } = await inviteInto(tenant, directory)
    const placeholder = (await peopleOf(gw, tenant, directory.id)).users[0]!

    const result = await companySignIn(gw, { tenant, directory, profile: BOB, invitationId: id })
    expect(result).toMatchObject({ ok: true, created: false, invitationId: id })
    const { users, memberships, sessions } = await peopleOf(gw, tenant, directory.id)
    expect(users).toEqual([
      expect.objectContaining({ id: placeholder.id, subject: BOB.subject, email: BOB.email }),
    ])
    expect(memberships).toEqual([grantedMembership('active')])
    expect(sessions).toHaveLength(1)
    expect(await invitationRow(id)).toMatchObject({ status: 'accepted', token_sealed: null })
    // Single use: the link is dead now, and so is starting a sign-in for it.
    const again = await gw.get(host, `/invite/${token}`)
    expect(again.status).toBe(400)
    expect(again.text).toContain('This link is no longer valid')
    const later = await companySignIn(gw, { tenant, directory, profile: BOB, invitationId: id })
    expect(later).toEqual({ ok: false, reason: 'invitation_invalid' })
  })

  it('accepts it at a sign-in that did not come through the link, when the verified email matches', async () => {
    const { tenant, directory } = await partnerStore()
    const { id } = await inviteInto(tenant, directory)
    const result = await companySignIn(gw, { tenant, directory, profile: BOB })
    expect(result).toMatchObject({ ok: true, invitationId: id })
    expect((await invitationRow(id)).status).toBe('accepted')
  })

  it('tells anyone else who arrives with the invitation that it is for someone else, changing nothing', async () => {
    const { tenant, directory } = await partnerStore()
    const { id } = await inviteInto(tenant, directory)
    // Carol has signed in before; Dan is new; neither is bob@partner.example.
    await companySignIn(gw, {
      tenant,
      directory,
      profile: { subject: 'carol', email: 'carol@partner.example' },
    })
    const before = await peopleOf(gw, tenant, directory.id)
    for (const profile of [
      { subject: 'carol', email: 'carol@partner.example' },
      { subject: 'dan', email: 'dan@partner.example' },
      // The right address, which the IdP says it did not verify.
      { subject: 'mallory', email: BOB.email, emailVerified: false },
    ]) {
      const result = await companySignIn(gw, { tenant, directory, profile, invitationId: id })
      expect(result, profile.subject).toEqual({ ok: false, reason: 'invitation_other' })
    }
    expect(await peopleOf(gw, tenant, directory.id)).toEqual(before)
    expect((await invitationRow(id)).status).toBe('pending')
  })

  it('never accepts an invitation for an address the IdP did not verify', async () => {
    const { tenant, directory } = await partnerStore()
    const { id } = await inviteInto(tenant, directory)
    const result = await companySignIn(gw, {
      tenant,
      directory,
      profile: { ...BOB, emailVerified: false },
    })
    expect(result).toEqual({ ok: false, reason: 'email_taken' })
    expect((await invitationRow(id)).status).toBe('pending')
    expect((await peopleOf(gw, tenant, directory.id)).users[0]?.subject).toBeNull()
  })

  it('answers an expired or revoked invitation with the invalid-link page’s reason', async () => {
    const { tenant, directory } = await partnerStore()
    const expired = await inviteInto(tenant, directory, BOB.email, new Date(Date.now() - 40 * DAY))
    const revoked = await inviteInto(tenant, directory, 'eve@partner.example')
    await revokeInvitation(gw.db, tenant, revoked.id)
    for (const [invitationId, profile] of [
      [expired.id, BOB],
      [revoked.id, { subject: 'eve', email: 'eve@partner.example' }],
    ] as const) {
      const result = await companySignIn(gw, { tenant, directory, profile, invitationId })
      expect(result).toEqual({ ok: false, reason: 'invitation_invalid' })
    }
    expect((await peopleOf(gw, tenant, directory.id)).sessions).toEqual([])
  })

  it('lets the person of a dead invitation in just in time, without its grant', async () => {
    const { tenant, directory } = await partnerStore()
    const expired = await inviteInto(tenant, directory, BOB.email, new Date(Date.now() - 40 * DAY))
    const result = await companySignIn(gw, { tenant, directory, profile: BOB })
    expect(result).toMatchObject({ ok: true })
    expect(result.ok && result.invitationId).toBeFalsy()
    const { memberships } = await peopleOf(gw, tenant, directory.id)
    expect(memberships).toEqual([
      expect.objectContaining({
        status: 'active',
        kind: 'member',
        role: 'user',
        groups: ['Everybody'],
        products: [],
        organization: null,
      }),
    ])
    expect((await invitationRow(expired.id)).status).toBe('pending') // and expired: never accepted
  })
})

describe.skipIf(!onPostgres())('accepting under concurrency (PostgreSQL)', () => {
  it('accepts once when sign-ins race for one invitation; a losing subject never takes the identity over', async () => {
    const { tenant, directory } = await partnerStore()
    const { id } = await inviteInto(tenant, directory)
    const profiles = [BOB, BOB, { ...BOB, subject: 'second-subject' }, BOB]
    const results = await Promise.all(
      profiles.map((profile) =>
        companySignIn(gw, { tenant, directory, profile, invitationId: id }),
      ),
    )
    expect(results.filter((r) => r.ok && r.invitationId === id)).toHaveLength(1)
    const { users, memberships } = await peopleOf(gw, tenant, directory.id)
    expect([users.length, memberships.length]).toEqual([1, 1])
    const linked = users[0]!.subject
    results.forEach((result, i) => {
      if (profiles[i]!.subject !== linked) expect(result.ok, `racer ${i}`).toBe(false)
    })
    expect((await invitationRow(id)).status).toBe('accepted')
  })
})
