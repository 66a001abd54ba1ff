import type { Updateable } from 'kysely'
import { describe, expect, it } from 'vitest'
import type { MembershipsTable } from '../../src/db/schema.js'
import { publishTerms } from '../../src/identity/terms.js'
import { updateSettings } from '../../src/tenants/tenants.js'
import { onPostgres } from '../support/database.js'
import { addDirectory, companySignIn, peopleOf } from '../support/enterprise.js'
import { useGateway } from '../support/harness.js'
import { PASSWORD, pageHelpers } from '../support/pages.js'

// Issue 10, "Accounts just in time", at the domain level (signInWithDirectory, as the SAML ACS
// and the OIDC callback call it once the IdP vouched): no IdP here, the protocols have their
// own files. DESIGN.md: enterprise identities are keyed by (directory, IdP subject).
const gw = useGateway()
const { browser, member, store } = pageHelpers(gw)

const MAPPING = [
  { idpGroup: 'store-admins', role: 'admin', groups: ['Admins'] },
  { idpGroup: 'sales', groups: ['Sales'] },
]

async function companyStore(groupMapping = MAPPING) {
  const { tenant } = await store()
  return addDirectory(gw, tenant, { groupMapping })
}

/** What an admin changes on every membership of the store. */
const changeMemberships = (tenantId: string, values: Updateable<MembershipsTable>) =>
  gw.db.updateTable('memberships').set(values).where('tenant_id', '=', tenantId).execute()

const membershipOf = (tenantId: string, userId: string) =>
  gw.db
    .selectFrom('memberships')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()

/** Custom-database accounts as one row of user, password and membership, to compare. */
const databaseAccount = () =>
  gw.db
    .selectFrom('users')
    .innerJoin('credentials', 'credentials.user_id', 'users.id')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select([
      'users.id',
      'users.updated_at',
      'credentials.password_hash',
      'memberships.id as membership_id',
      'memberships.role',
      'memberships.groups',
      'memberships.status',
      'memberships.updated_at as membership_updated_at',
    ])

describe('just-in-time accounts', () => {
  it('makes the identity at the first sign-in, keyed by the IdP subject, with the default role and Everybody', async () => {
    const { tenant, directory } = await companyStore()
    const result = await companySignIn(gw, { tenant, directory })
    expect(result).toMatchObject({ ok: true, created: true })
    const { users, memberships, sessions } = await peopleOf(gw, tenant, directory.id)
    expect(users).toEqual([
      expect.objectContaining({
        subject: 'idp-subject-alice',
        email: 'alice@corp.example',
        first_name: 'Alice',
        last_name: 'Martin',
      }),
    ])
    expect(memberships).toEqual([
      expect.objectContaining({ status: 'active', role: 'user', groups: ['Everybody'] }),
    ])
    // The session says how the person signed in: what the IdP said (RFC 8176).
    expect(sessions).toEqual([expect.objectContaining({ amr: ['pwd', 'mfa'], pending: null })])
  })

  it('refreshes email, names and groups at every sign-in, finding the person by subject, not email', async () => {
    const { tenant, directory } = await companyStore()
    const first = await companySignIn(gw, { tenant, directory, profile: { groups: ['sales'] } })
    const again = await companySignIn(gw, {
      tenant,
      directory,
      profile: { email: 'a.martin@corp.example', lastName: 'Martin-Dupont', groups: [] },
    })
    expect(again).toMatchObject({ ok: true, created: false })
    expect(again.ok && first.ok && again.userId).toBe(first.ok && first.userId)
    const { users, memberships } = await peopleOf(gw, tenant, directory.id)
    expect(users).toHaveLength(1)
    expect(users[0]).toMatchObject({ email: 'a.martin@corp.example', last_name: 'Martin-Dupont' })
    expect(memberships[0]?.groups).toEqual(['Everybody'])
  })

  it("maps IdP groups to roles and groups; the mapping owns what it names, an admin's groups and role stay", async () => {
    const { tenant, directory } = await companyStore()
    const signIn = (groups: string[]) =>
      companySignIn(gw, { tenant, directory, profile: { groups } })
    const first = await signIn(['store-admins', 'sales', 'unmapped'])
    if (!first.ok) throw new Error(first.reason)
    expect(await membershipOf(tenant.id, first.userId)).toMatchObject({
      role: 'admin',
      groups: ['Everybody', 'Admins', 'Sales'],
    })

    // An admin adds a group of their own: the IdP does not own it.
    await changeMemberships(tenant.id, {
      groups: JSON.stringify(['Everybody', 'Admins', 'Sales', 'Beta']),
    })
    await signIn(['sales'])
    // Out of store-admins: the mapped role and group go; Beta stays.
    expect(await membershipOf(tenant.id, first.userId)).toMatchObject({
      role: 'user',
      groups: ['Everybody', 'Beta', 'Sales'],
    })

    // A role the mapping does not name is the admin's: it outlives the IdP's groups.
    await changeMemberships(tenant.id, { role: 'editor' })
    await signIn([])
    expect(await membershipOf(tenant.id, first.userId)).toMatchObject({
      role: 'editor',
      groups: ['Everybody', 'Beta'],
    })
  })

  it('keeps a member disabled by an admin disabled whatever the IdP says, changing nothing (OWASP ASVS 5.0 V8)', async () => {
    const { tenant, directory } = await companyStore()
    const first = await companySignIn(gw, { tenant, directory })
    if (!first.ok) throw new Error(first.reason)
    await changeMemberships(tenant.id, { status: 'disabled' })
    const before = await peopleOf(gw, tenant, directory.id)

    const refused = await companySignIn(gw, {
      tenant,
      directory,
      profile: { email: 'new@corp.example', groups: ['store-admins'] },
    })
    expect(refused).toEqual({ ok: false, reason: 'disabled' })
    const after = await peopleOf(gw, tenant, directory.id)
    expect(after.memberships).toEqual(before.memberships)
    expect(after.users).toEqual(before.users)
    expect(after.sessions).toHaveLength(1) // the first sign-in's, none more
  })

  it('never links a company identity to a custom-database account because the emails match (SECURITY-NOTES, identity linking)', async () => {
    const { tenant: created, host } = await member('alice@corp.example')
    const { tenant, directory } = await addDirectory(gw, created, { groupMapping: MAPPING })
    const databaseUser = await databaseAccount()
      .where('users.directory_id', '=', tenant.databaseDirectoryId!)
      .where('users.email_key', '=', 'alice@corp.example')
      .executeTakeFirstOrThrow()

    const result = await companySignIn(gw, {
      tenant,
      directory,
      profile: { email: 'Alice@corp.example', groups: ['store-admins'] },
    })
    if (!result.ok) throw new Error(result.reason)
    expect(result.created).toBe(true)
    expect(result.userId).not.toBe(databaseUser.id)

    const again = await databaseAccount()
      .where('users.id', '=', databaseUser.id)
      .executeTakeFirstOrThrow()
    expect(again).toEqual(databaseUser)
    // Two people of the store now, each in their own directory; the password still works.
    const memberships = await gw.db
      .selectFrom('memberships')
      .select(['directory_id', 'role'])
      .where('tenant_id', '=', tenant.id)
      .execute()
    expect(memberships).toHaveLength(2)
    expect(memberships).toContainEqual({ directory_id: directory.id, role: 'admin' })
    const login = await browser(host).submit('/login', {
      email: 'alice@corp.example',
      password: PASSWORD,
    })
    expect(login.status).toBe(303)
  })

  it('refuses a second IdP subject with an address another identity of the directory has, leaving nothing behind', async () => {
    const { tenant, directory } = await companyStore()
    await companySignIn(gw, { tenant, directory })
    const before = await peopleOf(gw, tenant, directory.id)
    const other = await companySignIn(gw, {
      tenant,
      directory,
      profile: { subject: 'someone-else', email: 'ALICE@corp.example' },
    })
    expect(other).toEqual({ ok: false, reason: 'email_taken' })
    expect(await peopleOf(gw, tenant, directory.id)).toEqual(before)
  })

  it('refuses an address that is no address, with no user and no session', async () => {
    const { tenant, directory } = await companyStore()
    const refused = await companySignIn(gw, {
      tenant,
      directory,
      profile: { email: 'not-an-address' },
    })
    expect(refused).toEqual({ ok: false, reason: 'bad_email' })
    expect(await peopleOf(gw, tenant, directory.id)).toEqual({
      users: [],
      memberships: [],
      sessions: [],
    })
  })

  it('gives a company account of a store that requires Terms the Terms step first', async () => {
    const { tenant: created } = await store()
    await updateSettings(gw.db, created, { termsRequired: true }, gw.config.passwordPolicies)
    await gw.db
      .transaction()
      .execute((tx) => publishTerms(tx, created.id, { title: 'Terms', text: 'Be kind.' }))
    const { tenant, directory } = await addDirectory(gw, created)
    const result = await companySignIn(gw, { tenant, directory })
    expect(result).toMatchObject({ ok: true, session: { pending: 'terms' } })
    const { sessions } = await peopleOf(gw, tenant, directory.id)
    expect(sessions).toEqual([expect.objectContaining({ pending: 'terms' })])
  })
})

describe.skipIf(!onPostgres())('just-in-time accounts under concurrency (PostgreSQL)', () => {
  it('makes one identity and one membership when first sign-ins of one person race', async () => {
    const { tenant, directory } = await companyStore()
    const results = await Promise.all(
      Array.from({ length: 4 }, () => companySignIn(gw, { tenant, directory })),
    )
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true])
    expect(results.filter((r) => r.ok && r.created)).toHaveLength(1)
    const { users, memberships } = await peopleOf(gw, tenant, directory.id)
    expect([users.length, memberships.length]).toEqual([1, 1])
  })
})
