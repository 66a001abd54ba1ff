import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.js'
import type { MembershipsTable, UsersTable } from '../db/schema.js'

export type User = Selectable<UsersTable>
export type Membership = Selectable<MembershipsTable>

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
export async function upsertUser(
  db: Db,
  row: Insertable<UsersTable>,
): Promise<{ user: User; created: boolean }> {
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
