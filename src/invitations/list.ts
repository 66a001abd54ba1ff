import * as z from 'zod'
import type { Db } from '../db/database.js'
import { pageCursor } from '../lib/cursor.js'
import { parse } from '../lib/validate.js'
import type { Tenant } from '../tenants/tenants.js'
import { type InvitationWithPerson, listInvitations as query } from './invitations.queries.js'
import {
  INVITATION_STATUSES,
  invitationStatus,
  invitationWarning,
  resendAvailableAt,
} from './status.js'

const SORTS = ['createdAt', '-createdAt', 'email', '-email', 'expiresAt', '-expiresAt'] as const
const COLUMNS = { createdAt: 'created_at', email: 'email', expiresAt: 'expires_at' } as const

export const ListQuery = z.strictObject({
  status: z.enum(INVITATION_STATUSES).optional(),
  search: z.string().trim().max(200).optional(),
  sort: z.enum(SORTS).default('-createdAt'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
})

const cursor = pageCursor(z.tuple([z.string().max(320), z.uuid()]))

export async function listInvitations(db: Db, tenant: Tenant, input: unknown, now = new Date()) {
  const q = parse(ListQuery, input)
  const descending = q.sort.startsWith('-')
  const sortKey = q.sort.replace('-', '') as keyof typeof COLUMNS
  const rows = await query(db, tenant.id, {
    status: q.status,
    search: q.search || undefined,
    sort: { column: COLUMNS[sortKey], descending },
    after: q.cursor ? afterOf(cursor.decode(q.cursor)) : undefined,
    limit: q.limit,
    now,
  })
  const { page, nextCursor } = cursor.page(rows, q.limit, (r) => [sortValue(r, sortKey), r.id])
  return { items: page.map((row) => invitationView(row, tenant, now)), nextCursor }
}

const afterOf = ([value, id]: [string, string]) => ({ value, id })

function sortValue(row: InvitationWithPerson, key: keyof typeof COLUMNS): string {
  if (key === 'email') return row.email_key
  return (key === 'createdAt' ? row.created_at : row.expires_at).toISOString()
}

/** The wire shape of an invitation: an explicit allowlist, so hashes and sealed links never leak. */
export function invitationView(row: InvitationWithPerson, tenant: Tenant, now: Date) {
  const status = invitationStatus(row, now)
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    kind: row.kind,
    role: row.role,
    groups: row.groups,
    products: row.products,
    organization: row.organization,
    /** The company directory the person signs in with; null: the custom user database. */
    directory: row.invitation_directory_id,
    status,
    warning: invitationWarning(row, tenant.settings, now),
    expiresAt: row.expires_at.toISOString(),
    lastSentAt: row.last_sent_at.toISOString(),
    resendAvailableAt:
      status === 'pending' ? resendAvailableAt(row, tenant.settings).toISOString() : null,
    sendCount: row.send_count,
    locale: row.locale,
    createdAt: row.created_at.toISOString(),
    acceptedAt: row.accepted_at?.toISOString() ?? null,
  }
}
