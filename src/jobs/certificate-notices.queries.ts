import type { Db } from '../db/database.js'

/** Every SAML directory with its tenant and dedicated host (the notices job reads them all). */
export function listSamlDirectories(db: Db) {
  return db
    .selectFrom('directories as d')
    .innerJoin('tenant_directories as td', 'td.directory_id', 'd.id')
    .leftJoin('tenant_hosts as h', (j) =>
      j.onRef('h.directory_id', '=', 'd.id').onRef('h.tenant_id', '=', 'td.tenant_id'),
    )
    .select(['d.id', 'd.name', 'd.config', 'td.tenant_id', 'h.host'])
    .where('d.kind', '=', 'saml')
    .orderBy('d.id')
    .execute()
}

/** The certificates the gateway's SP publishes for a directory (read only: sp-keys.ts owns them). */
export function listSpCertificates(db: Db, directoryId: string) {
  return db
    .selectFrom('sp_keys')
    .select(['kid', 'certificate', 'not_after'])
    .where('directory_id', '=', directoryId)
    .where('state', 'in', ['next', 'active'])
    .execute()
}

/** Who is told: the tenant's active members with the role 'admin'. */
export function listTenantAdmins(db: Db, tenantId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .select(['u.email', 'u.first_name', 'u.last_name', 'u.locale'])
    .where('m.tenant_id', '=', tenantId)
    .where('m.status', '=', 'active')
    .where('m.role', '=', 'admin')
    .orderBy('u.email')
    .execute()
}

/** The notice of one certificate and threshold, once: false when it was already sent. */
export async function claimNotice(
  db: Db,
  row: { directoryId: string; fingerprint: string; daysBefore: number; now: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto('certificate_notices')
    .values({
      directory_id: row.directoryId,
      fingerprint: row.fingerprint,
      days_before: row.daysBefore,
      sent_at: row.now,
    })
    .onConflict((oc) => oc.columns(['directory_id', 'fingerprint', 'days_before']).doNothing())
    .returning('days_before')
    .executeTakeFirst()
  return inserted !== undefined
}
