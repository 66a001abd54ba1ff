import type { Db } from '../../src/db/database.js'
import type { Tenant } from '../../src/tenants/tenants.js'

export type PersonRow = {
  email: string
  firstName?: string
  lastName?: string
  phone?: string
  externalId?: string
  kind?: 'member' | 'guest'
  role?: string
  groups?: string[]
  products?: string[]
  organization?: string
  status?: 'invited' | 'active' | 'disabled'
  createdAt?: Date
}

/** People of the tenant's user database, written straight to the tables (fixtures, not flows). */
export async function addPeople(db: Db, tenant: Tenant, people: PersonRow[]) {
  const directoryId = tenant.databaseDirectoryId!
  const ids: string[] = []
  for (const p of people) {
    const user = await db
      .insertInto('users')
      .values({
        directory_id: directoryId,
        email: p.email,
        email_key: p.email.toLowerCase(),
        first_name: p.firstName ?? null,
        last_name: p.lastName ?? null,
        phone: p.phone ?? null,
        external_id: p.externalId ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    const membership = await db
      .insertInto('memberships')
      .values({
        tenant_id: tenant.id,
        directory_id: directoryId,
        user_id: user.id,
        kind: p.kind ?? 'member',
        role: p.role ?? 'user',
        groups: JSON.stringify(p.groups ?? ['Everybody']),
        products: JSON.stringify(p.products ?? []),
        organization: p.organization ?? null,
        status: p.status ?? 'active',
        ...(p.createdAt && { created_at: p.createdAt as never }),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    ids.push(membership.id)
  }
  return ids
}
