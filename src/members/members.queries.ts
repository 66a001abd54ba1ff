import { CompiledQuery, sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { MembershipKind, MembershipStatus } from '../db/schema.js'

// Member search over memberships joined to their users. The expressions below are those of the
// indexes of migrations/20261201_1110 (byte-order btrees for prefix and sort, trigrams for
// substrings), repeated verbatim: the planner uses an expression index only for the same text.
export const EMAIL_KEY = sql<string>`(u.email_key collate "C")`
export const NAME_KEY = sql<string>`(lower(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) collate "C")`
const LAST_NAME_KEY = sql<string>`(lower(u.last_name) collate "C")`
const PHONE_KEY = sql<string>`(u.phone collate "C")`
const EXTERNAL_ID_KEY = sql<string>`(lower(u.external_id) collate "C")`
const SEARCH_TEXT = sql<string>`lower(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '') || ' ' || u.email || ' ' || coalesce(u.phone, '') || ' ' || coalesce(u.external_id, ''))`

export type SortField = 'name' | 'email' | 'created'
export type MemberFilters = {
  /** Already escaped for LIKE (\, % and _ preceded by a backslash), lower-cased. */
  prefix?: string
  contains?: string
  kind?: MembershipKind
  status?: MembershipStatus
  group?: string
  role?: string
  organization?: string
  directoryId?: string
}
export type Keyset = { key: string; id: string }

const MEMBER_COLUMNS = [
  'm.id',
  'm.user_id',
  'm.directory_id',
  'm.kind',
  'm.role',
  'm.groups',
  'm.products',
  'm.organization',
  'm.status',
  'm.activated_at',
  'm.created_at',
  'm.updated_at',
  'u.email',
  'u.first_name',
  'u.last_name',
  'u.phone',
  'u.job_title',
  'u.external_id',
  'u.locale',
] as const

/** Any term starts with the (LIKE-escaped) text. */
const prefixMatch = (prefix: string) => {
  const p = `${prefix}%`
  return sql<boolean>`(${EMAIL_KEY} like ${p} or ${NAME_KEY} like ${p} or ${LAST_NAME_KEY} like ${p} or ${PHONE_KEY} like ${p} or ${EXTERNAL_ID_KEY} like ${p})`
}

function base(db: Db, tenantId: string, f: MemberFilters) {
  let query = db
    .selectFrom('memberships as m')
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .where('m.tenant_id', '=', tenantId)
  if (f.prefix !== undefined) query = query.where(prefixMatch(f.prefix))
  if (f.contains !== undefined) query = query.where(SEARCH_TEXT, 'like', `%${f.contains}%`)
  return query.where(membershipMatch(f))
}

/** The filters on the membership's own columns (kind, status, role, organization, directory, group). */
function membershipMatch(f: MemberFilters) {
  return sql<boolean>`(${sql.join(
    [
      sql`true`,
      ...(f.kind ? [sql`m.kind = ${f.kind}`] : []),
      ...(f.status ? [sql`m.status = ${f.status}`] : []),
      ...(f.role ? [sql`m.role = ${f.role}`] : []),
      ...(f.organization ? [sql`m.organization = ${f.organization}`] : []),
      ...(f.directoryId ? [sql`m.directory_id = ${f.directoryId}`] : []),
      ...(f.group ? [sql`m.groups @> jsonb_build_array(${f.group}::text)`] : []),
    ],
    sql` and `,
  )})`
}

const sortKey = {
  name: NAME_KEY,
  email: EMAIL_KEY,
  created: sql<string>`m.created_at`,
} as const

/** One page in the order asked, after the keyset; `limit` rows at most. */
export async function listMemberPage(
  db: Db,
  tenantId: string,
  input: {
    filters: MemberFilters
    sort: SortField
    descending: boolean
    after?: Keyset
    limit: number
    /** The matches are few: sort them rather than walk an index in order. */
    sortAfterMatching: boolean
  },
) {
  const { sort, descending, after } = input
  // Few matches (a search, a rare filter): find them through their indexes and sort them, rather
  // than walk the sort index hoping to meet 50 soon (a rare prefix or an empty filter walked all
  // 1,000,000 names: 2-9 s). `|| ''` keeps the sort index out of the plan.
  const key =
    input.sortAfterMatching && sort !== 'created'
      ? sql<string>`(${sortKey[sort]} || '')`
      : input.sortAfterMatching
        ? sql<string>`(m.created_at + interval '0')`
        : sortKey[sort]
  // Name and email come from the user; within a tenant a user has one membership, so the
  // user's id breaks ties as well as the membership's would, and the user index holds it.
  const tie = sort === 'created' ? sql<string>`m.id` : sql<string>`u.id`
  let query = base(db, tenantId, input.filters).select([
    ...MEMBER_COLUMNS,
    sql<string>`(${key})::text`.as('sort_key'),
    sql<string>`${tie}::text`.as('sort_id'),
    // Sorting the matches reads them all: the first page counts them on the way, for nothing.
    (input.sortAfterMatching && !after ? sql<string>`count(*) over ()` : sql<string>`null`).as(
      'matches',
    ),
  ])
  if (after) {
    const value = sort === 'created' ? sql`${after.key}::timestamptz` : sql`${after.key}`
    const op = sql.raw(descending ? '<' : '>')
    query = query.where(sql<boolean>`(${key}, ${tie}) ${op} (${value}, ${after.id}::uuid)`)
  }
  const direction = descending ? 'desc' : 'asc'
  const found = await query
    .orderBy(key, direction)
    .orderBy(tie, direction)
    .limit(input.limit)
    .execute()
  const matches = found[0]?.matches
  return {
    rows: found.map(({ matches: _, ...row }) => row),
    /** Every match, counted while sorting them (a first page sorted after matching), or undefined. */
    matches: matches === null || matches === undefined ? undefined : Number(matches),
  }
}
export type MemberRow = Awaited<ReturnType<typeof listMemberPage>>['rows'][number]

/** Prefixes of up to this many characters are stored (migrations/20261201_1200). */
export const STORED_PREFIX = 3

/**
 * A prefix search sorted by name through member_search_prefixes: the index of the text's first
 * three characters (or fewer) is read in name order and the walk stops after `limit` rows, so a
 * prefix matching 300,000 people costs what one matching 50 does. A longer text is checked on
 * the user's fields as the walk goes (worth it when its matches are many; the caller decides).
 * Same sort key, tie-breaker and cursor as listMemberPage's sort by name.
 */
export function listPrefixPage(
  db: Db,
  tenantId: string,
  input: {
    text: string
    escaped: string
    /** Filters on the membership, checked as the walk goes (worth it while matches are dense). */
    filters?: MemberFilters
    descending: boolean
    after?: Keyset
    limit: number
  },
) {
  const chars = Array.from(input.text)
  let query = db
    .selectFrom('member_search_prefixes as p')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.tenant_id', '=', 'p.tenant_id').onRef('m.user_id', '=', 'p.user_id'),
    )
    .innerJoin('users as u', (j) =>
      j.onRef('u.id', '=', 'm.user_id').onRef('u.directory_id', '=', 'm.directory_id'),
    )
    .where('p.tenant_id', '=', tenantId)
    .where(sql`p.prefix`, '=', sql`${chars.slice(0, STORED_PREFIX).join('')} collate "C"`)
    .select([
      ...MEMBER_COLUMNS,
      sql<string>`p.name_key::text`.as('sort_key'),
      sql<string>`p.user_id::text`.as('sort_id'),
    ])
  if (chars.length > STORED_PREFIX) query = query.where(prefixMatch(input.escaped))
  if (input.filters) query = query.where(membershipMatch(input.filters))
  if (input.after) {
    const op = sql.raw(input.descending ? '<' : '>')
    query = query.where(
      sql<boolean>`(p.name_key, p.user_id) ${op} (${input.after.key} collate "C", ${input.after.id}::uuid)`,
    )
  }
  const direction = input.descending ? 'desc' : 'asc'
  return query
    .orderBy('p.name_key', direction)
    .orderBy('p.user_id', direction)
    .limit(input.limit)
    .execute()
}

/** The number of matches when at most `cap`; otherwise undefined (count no further). */
export async function countMembersUpTo(
  db: Db,
  tenantId: string,
  filters: MemberFilters,
  cap: number,
): Promise<number | undefined> {
  const row = await db
    .selectFrom(
      base(db, tenantId, filters)
        .select(sql`1`.as('one'))
        .limit(cap + 1)
        .as('hits'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  const n = Number(row.n)
  return n > cap ? undefined : n
}

/** The planner's estimate of the matches: no scan of a million rows to print a total. */
export async function estimateMembers(db: Db, tenantId: string, filters: MemberFilters) {
  return (await planMembers(db, tenantId, filters)).rows
}

/** The planner's estimates for finding every match: how many, and at what cost (its units). */
export async function planMembers(db: Db, tenantId: string, filters: MemberFilters) {
  const compiled = base(db, tenantId, filters)
    .select(sql`1`.as('one'))
    .compile()
  const result = await db.executeQuery<{ 'QUERY PLAN': unknown }>(
    CompiledQuery.raw(`explain (format json) ${compiled.sql}`, [...compiled.parameters]),
  )
  const raw = result.rows[0]?.['QUERY PLAN']
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as [
    { Plan: { 'Plan Rows': number; 'Total Cost': number } },
  ]
  return { rows: Math.round(plan[0].Plan['Plan Rows']), cost: plan[0].Plan['Total Cost'] }
}

export function findMember(db: Db, tenantId: string, id: string) {
  return base(db, tenantId, {})
    .select([...MEMBER_COLUMNS, 'm.last_sign_in_at'])
    .where('m.id', '=', id)
    .executeTakeFirst()
}

/** The membership, locked until the caller's transaction ends: edits and removals queue. */
export function lockMembership(db: Db, tenantId: string, id: string) {
  return db
    .selectFrom('memberships')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

/** The tenant's active admins, locked: two demotions at once cannot both see the other admin. */
export async function lockActiveAdmins(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .orderBy('id')
    .forUpdate()
    .execute()
  return rows.map((r) => r.id)
}

export async function updateMembershipRow(
  db: Db,
  tenantId: string,
  id: string,
  patch: {
    role?: string
    groups?: string[]
    products?: string[]
    organization?: string | null
    kind?: MembershipKind
    status?: MembershipStatus
  },
  now: Date,
): Promise<void> {
  const { groups, products, ...rest } = patch
  await db
    .updateTable('memberships')
    .set({
      ...rest,
      ...(groups && { groups: JSON.stringify(groups) }),
      ...(products && { products: JSON.stringify(products) }),
      updated_at: now,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()
}

export async function countTenantsOfDirectory(db: Db, directoryId: string): Promise<number> {
  const row = await db
    .selectFrom('tenant_directories')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('directory_id', '=', directoryId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Ends what the membership holds at this tenant at once: its gateway sessions and every
 * oidc-provider artefact of the account here (grants, refresh and access token records), so
 * the next refresh, introspection or forward-auth check fails.
 */
export async function endAccessAtTenant(
  db: Db,
  tenantId: string,
  membership: { id: string; user_id: string },
): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where('tenant_id', '=', tenantId)
    .where('membership_id', '=', membership.id)
    .execute()
  await db
    .deleteFrom('oidc_artefacts')
    .where('tenant_id', '=', tenantId)
    .where(sql<string>`payload->>'accountId'`, '=', membership.user_id)
    .execute()
}

/** Removes the membership (sessions, invitations, acceptances cascade), then an orphan identity. */
export async function deleteMembershipAndOrphan(
  db: Db,
  tenantId: string,
  membership: { id: string; user_id: string; directory_id: string },
): Promise<{ identityDeleted: boolean }> {
  await db
    .deleteFrom('password_resets')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', membership.user_id)
    .execute()
  await db
    .deleteFrom('memberships')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', membership.id)
    .execute()
  const deleted = await db
    .deleteFrom('users')
    .where('directory_id', '=', membership.directory_id)
    .where('id', '=', membership.user_id)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('memberships')
            .select('id')
            .where('user_id', '=', membership.user_id)
            .where('directory_id', '=', membership.directory_id),
        ),
      ),
    )
    .executeTakeFirst()
  return { identityDeleted: deleted.numDeletedRows > 0n }
}
