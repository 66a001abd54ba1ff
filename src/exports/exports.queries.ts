import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { MembershipKind, MembershipStatus } from '../db/schema.js'

// The export's reads: the tenant's people in join order, one keyset page at a time, over
// memberships_tenant_created (tenant_id, created_at, id), so no page scans what an earlier one
// read and the whole tenant is never held in memory. created_at travels as PostgreSQL's text
// (microseconds kept): a JS Date would round it and skip or repeat rows at a page boundary.

export type ExportFilters = {
  kind?: MembershipKind
  status?: MembershipStatus
  role?: string
  organization?: string
  group?: string
}
export type Keyset = { at: string; id: string }

function people(db: Db, tenantId: string, f: ExportFilters) {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .where('m.tenant_id', '=', tenantId)
  if (f.kind) query = query.where('m.kind', '=', f.kind)
  if (f.status) query = query.where('m.status', '=', f.status)
  if (f.role) query = query.where('m.role', '=', f.role)
  if (f.organization) query = query.where('m.organization', '=', f.organization)
  if (f.group) query = query.where(sql<boolean>`m.groups @> jsonb_build_array(${f.group}::text)`)
  return query
}

const PERSON = [
  'u.email',
  'u.first_name',
  'u.last_name',
  'u.phone',
  'u.job_title',
  'u.external_id',
  'u.locale',
  'm.role',
  'm.organization',
  'm.kind',
  'm.groups',
  'm.products',
] as const

/** The most groups one matching person has (the number of user-group columns). */
export async function maxGroupsOfMembers(db: Db, tenantId: string, f: ExportFilters) {
  const row = await people(db, tenantId, f)
    .select(sql<number>`coalesce(max(jsonb_array_length(m.groups)), 0)`.as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export function listMembersAfter(
  db: Db,
  tenantId: string,
  input: { filters: ExportFilters; after?: Keyset; limit: number },
) {
  let query = people(db, tenantId, input.filters).select([
    ...PERSON,
    'm.id',
    sql<string>`m.created_at::text`.as('at'),
  ])
  if (input.after)
    query = query.where(
      sql<boolean>`(m.created_at, m.id) > (${input.after.at}::timestamptz, ${input.after.id}::uuid)`,
    )
  return query.orderBy('m.created_at').orderBy('m.id').limit(input.limit).execute()
}
export type ExportedMember = Awaited<ReturnType<typeof listMembersAfter>>[number]

export type InvitationFilters = { status?: 'pending' | 'expired' | 'accepted' | 'revoked' }

function invitations(db: Db, tenantId: string, f: InvitationFilters, now: Date) {
  let query = db
    .selectFrom('invitations as i')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.id', '=', 'i.membership_id').onRef('m.tenant_id', '=', 'i.tenant_id'),
    )
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .where('i.tenant_id', '=', tenantId)
  // The statuses of invitations/status.ts: a pending row past its expiry is "expired".
  if (f.status === 'pending')
    query = query.where('i.status', '=', 'pending').where('i.expires_at', '>', now)
  if (f.status === 'expired')
    query = query.where('i.status', '=', 'pending').where('i.expires_at', '<=', now)
  if (f.status === 'accepted' || f.status === 'revoked')
    query = query.where('i.status', '=', f.status)
  return query
}

export async function maxGroupsOfInvitations(
  db: Db,
  tenantId: string,
  f: InvitationFilters,
  now: Date,
) {
  const row = await invitations(db, tenantId, f, now)
    .select(sql<number>`coalesce(max(jsonb_array_length(m.groups)), 0)`.as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export function listInvitationsAfter(
  db: Db,
  tenantId: string,
  input: { filters: InvitationFilters; after?: Keyset; limit: number; now: Date },
) {
  let query = invitations(db, tenantId, input.filters, input.now).select([
    ...PERSON,
    'i.id',
    'i.status',
    'i.locale as invitation_locale',
    'i.expires_at',
    'i.last_sent_at',
    'i.created_at',
    sql<string>`i.created_at::text`.as('at'),
  ])
  if (input.after)
    query = query.where(
      sql<boolean>`(i.created_at, i.id) > (${input.after.at}::timestamptz, ${input.after.id}::uuid)`,
    )
  return query.orderBy('i.created_at').orderBy('i.id').limit(input.limit).execute()
}
export type ExportedInvitation = Awaited<ReturnType<typeof listInvitationsAfter>>[number]
