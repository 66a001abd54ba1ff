import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.
// A password change ends the account's artefacts, deleting an app ends the app's: both find
// them by the owner named in the payload, which these indexes keep from scanning the tenant.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index oidc_artefacts_account on oidc_artefacts (tenant_id, (payload->>'accountId'))`.execute(
    db,
  )
  await sql`create index oidc_artefacts_client on oidc_artefacts (tenant_id, (payload->>'clientId'))`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('oidc_artefacts_client').execute()
  await db.schema.dropIndex('oidc_artefacts_account').execute()
}
