import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.js'
import type { MembershipsTable, UsersTable } from '../db/schema.js'

export type User = Selectable<UsersTable>
export type Membership = Selectable<MembershipsTable>
export type NewUser = Insertable<UsersTable>

export function findUserByEmailKey(
  db: Db,
  directoryId: string,
  emailKey: string,
): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('directory_id', '=', directoryId)
    .where('email_key', '=', emailKey)
    .executeTakeFirst()
}

export function findUser(db: Db, directoryId: string, userId: string): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('directory_id', '=', directoryId)
    .where('id', '=', userId)
    .executeTakeFirst()
}

/** Inserts the user unless the directory already has that email; either way returns the row. */
export async function upsertUser(db: Db, row: NewUser): Promise<{ user: User; created: boolean }> {
  const inserted = await db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.columns(['directory_id', 'email_key']).doNothing())
    .returningAll()
    .executeTakeFirst()
  if (inserted) return { user: inserted, created: true }
  const existing = await findUserByEmailKey(db, row.directory_id, row.email_key)
  if (!existing) throw new Error('user vanished between insert and select')
  return { user: existing, created: false }
}

export function findMembershipOf(
  db: Db,
  tenantId: string,
  userId: string,
): Promise<Membership | undefined> {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
}

export function findMembership(
  db: Db,
  tenantId: string,
  membershipId: string,
): Promise<Membership | undefined> {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', membershipId)
    .executeTakeFirst()
}

export function insertMembership(db: Db, row: Insertable<MembershipsTable>): Promise<Membership> {
  return db.insertInto('memberships').values(row).returningAll().executeTakeFirstOrThrow()
}

/** invited -> active, once: the guard makes a second activation a no-op that returns nothing. */
export function activateMembership(db: Db, tenantId: string, membershipId: string, now: Date) {
  return db
    .updateTable('memberships')
    .set({ status: 'active', activated_at: now, updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', membershipId)
    .where('status', '=', 'invited')
    .returningAll()
    .executeTakeFirst()
}

export async function updateMembershipGrant(
  db: Db,
  tenantId: string,
  membershipId: string,
  grant: {
    kind: Membership['kind']
    role: string
    groups: string[]
    products: string[]
    organization: string | null
  },
  now: Date,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({
      ...grant,
      groups: JSON.stringify(grant.groups),
      products: JSON.stringify(grant.products),
      updated_at: now,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', membershipId)
    .execute()
}

/** An enterprise identity by its key: (directory, IdP subject). */
export function findUserBySubject(
  db: Db,
  directoryId: string,
  subject: string,
): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('directory_id', '=', directoryId)
    .where('subject', '=', subject)
    .executeTakeFirst()
}

/** A new enterprise identity; `undefined` when the directory already has its email (or subject). */
export function insertUserIfFree(db: Db, row: NewUser): Promise<User | undefined> {
  return db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst()
}

/**
 * Gives an identity made without an IdP subject (an invitation's) its subject, once: of two
 * sign-ins racing for it, one gets the row back; the other's subject never replaces it.
 */
export function claimUnlinkedUser(db: Db, directoryId: string, userId: string, subject: string) {
  return db
    .updateTable('users')
    .set({ subject })
    .where('directory_id', '=', directoryId)
    .where('id', '=', userId)
    .where('subject', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

/** What the IdP says at each sign-in; `false` when the new email is another identity's. */
export async function updateUserProfile(
  db: Db,
  directoryId: string,
  userId: string,
  profile: Pick<NewUser, 'email' | 'email_key' | 'first_name' | 'last_name' | 'subject'>,
  now: Date,
): Promise<boolean> {
  const taken = await db
    .selectFrom('users')
    .select('id')
    .where('directory_id', '=', directoryId)
    .where('email_key', '=', profile.email_key)
    .where('id', '!=', userId)
    .executeTakeFirst()
  if (taken) return false
  await db
    .updateTable('users')
    .set({ ...profile, updated_at: now })
    .where('directory_id', '=', directoryId)
    .where('id', '=', userId)
    .execute()
  return true
}

/** The role and groups an enterprise directory's group mapping gives, refreshed at sign-in. */
export async function updateMembershipAccess(
  db: Db,
  tenantId: string,
  membershipId: string,
  access: { role: string; groups: string[] },
  now: Date,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ role: access.role, groups: JSON.stringify(access.groups), updated_at: now })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', membershipId)
    .execute()
}

/**
 * Everything a repeat enterprise sign-in reads, in one statement (it runs on every one): the
 * identity by its key (directory, IdP subject), its membership of the tenant, and the tenant's
 * current Terms version with whether this member accepted it. `undefined` without a membership.
 */
export async function findEnterpriseMember(
  db: Db,
  input: { tenantId: string; directoryId: string; subject: string },
) {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.user_id', '=', 'u.id').on('m.tenant_id', '=', input.tenantId),
    )
    .selectAll('u')
    .select(['m.id as membership_id', 'm.status as membership_status', 'm.role', 'm.groups'])
    .select((eb) => {
      const current = eb
        .selectFrom('terms_versions as t')
        .select((t) => t.fn.max('t.version').as('version'))
        .where('t.tenant_id', '=', input.tenantId)
      return [
        current.as('terms_version'),
        eb
          .exists(
            eb
              .selectFrom('terms_acceptances as a')
              .select('a.version')
              .where('a.tenant_id', '=', input.tenantId)
              .whereRef('a.membership_id', '=', 'm.id')
              .where('a.version', '=', current),
          )
          .as('terms_accepted'),
      ]
    })
    .where('u.directory_id', '=', input.directoryId)
    .where('u.subject', '=', input.subject)
    .executeTakeFirst()
  if (!row) return undefined
  const { membership_id, membership_status, role, groups, terms_version, terms_accepted, ...user } =
    row
  return {
    user: user as User,
    membership: { id: membership_id, status: membership_status, role, groups },
    terms: { version: terms_version ?? null, accepted: !!terms_accepted },
  }
}

/**
 * The names and the spelling of the email an IdP sends, for an identity whose email key stays
 * the same (so no other identity of the directory can hold it: updateUserProfile checks that).
 */
export async function refreshUserNames(
  db: Db,
  directoryId: string,
  userId: string,
  profile: Pick<NewUser, 'email' | 'first_name' | 'last_name'>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...profile, updated_at: now })
    .where('directory_id', '=', directoryId)
    .where('id', '=', userId)
    .execute()
}

/** A person's own profile fields (an admin's edit, the activation page); nothing when empty. */
export async function updateUserFields(
  db: Db,
  directoryId: string,
  userId: string,
  patch: { [K in 'first_name' | 'last_name' | 'phone' | 'job_title' | 'locale']?: string | null },
  now: Date,
): Promise<void> {
  if (Object.keys(patch).length === 0) return
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: now })
    .where('directory_id', '=', directoryId)
    .where('id', '=', userId)
    .execute()
}
