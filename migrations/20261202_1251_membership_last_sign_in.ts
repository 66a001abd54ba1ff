import type { Kysely } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// Issue 11: when a member last signed in, kept on the membership (written with the session, in
// the same statement), so the console shows it after the sessions are gone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('memberships').addColumn('last_sign_in_at', 'timestamptz').execute()
  // What the sessions still kept can tell of the members already there.
  await db
    .updateTable('memberships as m')
    .set((eb) => ({
      last_sign_in_at: eb
        .selectFrom('sessions as s')
        .select((s) => s.fn.max('s.created_at').as('at'))
        .whereRef('s.tenant_id', '=', 'm.tenant_id')
        .whereRef('s.membership_id', '=', 'm.id'),
    }))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('memberships').dropColumn('last_sign_in_at').execute()
}
