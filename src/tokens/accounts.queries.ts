import type { Db } from '../db/database.js'

/**
 * A user's active membership of a tenant with the user's fields the claims name, in one
 * statement: every grant at the token endpoint asks for it.
 */
export function findActiveAccount(db: Db, tenantId: string, userId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .selectAll('m')
    .select([
      'u.email as user_email',
      'u.first_name as user_first_name',
      'u.last_name as user_last_name',
      'u.locale as user_locale',
    ])
    .where('m.tenant_id', '=', tenantId)
    .where('m.user_id', '=', userId)
    .where('m.status', '=', 'active')
    .executeTakeFirst()
}
