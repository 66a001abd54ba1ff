import type { Db } from '../db/database.js'

export type TemplateRow = { locale: string; subject: string; text: string; html: string }

/** The tenant's own versions of one template in the given locales. */
export function listTenantTemplateVersions(
  db: Db,
  tenantId: string,
  name: string,
  locales: string[],
): Promise<TemplateRow[]> {
  return db
    .selectFrom('email_templates')
    .select(['locale', 'subject', 'text', 'html'])
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .where('locale', 'in', locales)
    .execute()
}

export function listTenantTemplates(db: Db, tenantId: string) {
  return db
    .selectFrom('email_templates')
    .select(['name', 'locale', 'updated_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .orderBy('locale')
    .execute()
}

export async function upsertTenantTemplate(
  db: Db,
  row: {
    tenantId: string
    name: string
    locale: string
    subject: string
    text: string
    html: string
  },
  now: Date,
): Promise<void> {
  const values = { subject: row.subject, text: row.text, html: row.html, updated_at: now }
  await db
    .insertInto('email_templates')
    .values({ tenant_id: row.tenantId, name: row.name, locale: row.locale, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'name', 'locale']).doUpdateSet(values))
    .execute()
}

export async function deleteTenantTemplate(
  db: Db,
  tenantId: string,
  name: string,
  locale: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('email_templates')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .where('locale', '=', locale)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function findTenantName(db: Db, tenantId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('tenants')
    .select('name')
    .where('id', '=', tenantId)
    .executeTakeFirst()
  return row?.name
}
