import type { Db } from '../db/database.js'

/** The sealed token of a pending invitation of this tenant: the CLI prints its link. */
export async function findPendingInvitationSeal(
  db: Db,
  tenantId: string,
  invitationId: string,
): Promise<Uint8Array | undefined> {
  const row = await db
    .selectFrom('invitations')
    .select('token_sealed')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', invitationId)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return row?.token_sealed ?? undefined
}
