import * as z from 'zod'
import type { Db } from '../db/database.js'
import { MEMBERSHIP_KINDS, MEMBERSHIP_STATUSES } from '../db/schema.js'
import { AppError } from '../errors.js'
import { pageCursor } from '../lib/cursor.js'
import { parse } from '../lib/validate.js'
import * as q from './members.queries.js'

// The members list: search, filters, sort, a total that is exact while small, and an opaque
// keyset cursor (stable while rows are added or removed, unlike an offset).

/** Below this many matches the total is counted exactly; above, it is the planner's estimate. */
export const EXACT_COUNT_UP_TO = 10_000
/**
 * ...and only while the planner expects finding them to cost at most this (its units; about
 * 40 ms of a 2-core VM at a million members): 2,000 guests of a group can hide among its
 * 100,000 members, and counting them would cost more than the page.
 */
export const EXACT_COUNT_COST = 20_000
/** Substring search needs three characters: trigrams are what make it fast. */
const MIN_CONTAINS = 3

export const MemberListQuery = z.strictObject({
  q: z.string().trim().max(200).optional().describe('Search in name, email, phone and external id'),
  match: z
    .enum(['prefix', 'contains'])
    .default('prefix')
    .describe(
      'prefix: starts with (any field, or the full name); contains: anywhere (3+ characters)',
    ),
  kind: z.enum(MEMBERSHIP_KINDS).optional(),
  status: z.enum(MEMBERSHIP_STATUSES).optional(),
  group: z.string().trim().min(1).max(100).optional(),
  role: z.string().trim().min(1).max(50).optional(),
  organization: z.string().trim().min(1).max(200).optional(),
  directory: z.uuid().optional(),
  sort: z
    .enum(['name', '-name', 'email', '-email', 'created', '-created'])
    .default('name')
    .describe('A leading "-" sorts descending'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional().describe('nextCursor of the previous page'),
})
export type MemberListQuery = z.input<typeof MemberListQuery>

const cursor = pageCursor(z.strictObject({ s: z.string(), k: z.string().max(600), i: z.uuid() }))

const encode = (sort: string, key: q.Keyset) => cursor.encode({ s: sort, k: key.key, i: key.id })

function decode(text: string, sort: string): q.Keyset {
  const parsed = cursor.read(text)
  if (!parsed || parsed.s !== sort)
    throw new AppError('invalid_request', 'This cursor is not one of this list (same sort).', {
      details: { fields: { cursor: ['invalid or from another sort'] }, form: [] },
    })
  return { key: parsed.k, id: parsed.i }
}

// LIKE's own metacharacters are escaped (backslash is PostgreSQL's default escape), so a
// search for "50%_off\" finds exactly that text; the value is always a bound parameter.
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)

export function filtersOf(query: z.output<typeof MemberListQuery>): q.MemberFilters {
  const text = query.q ? escapeLike(query.q.toLowerCase()) : undefined
  const contains = query.match === 'contains' && query.q && query.q.length >= MIN_CONTAINS
  return {
    ...(text !== undefined && (contains ? { contains: text } : { prefix: text })),
    ...(query.kind && { kind: query.kind }),
    ...(query.status && { status: query.status }),
    ...(query.group && { group: query.group }),
    ...(query.role && { role: query.role }),
    ...(query.organization && { organization: query.organization }),
    ...(query.directory && { directoryId: query.directory }),
  }
}

/**
 * A prefix search sorted by name goes through the stored prefixes (members.queries.ts
 * listPrefixPage), walked in name order until the page is full, unless the text is longer than
 * them and its matches few (then the field indexes find them and they are sorted). With other
 * filters too, the walk reads about limit x (prefix matches / all matches) rows, finding and
 * sorting reads every match: whichever the planner's estimates say is fewer.
 */
async function walkPrefixes(
  db: Db,
  tenantId: string,
  filters: q.MemberFilters,
  text: string,
  estimate: number,
  limit: number,
): Promise<boolean> {
  if (filters.prefix === undefined) return false
  const short = Array.from(text).length <= q.STORED_PREFIX
  if (Object.keys(filters).length === 1) return short || estimate > EXACT_COUNT_UP_TO
  const prefixMatches = await q.estimateMembers(db, tenantId, { prefix: filters.prefix })
  if (!short && prefixMatches <= EXACT_COUNT_UP_TO) return false
  return estimate * estimate > limit * prefixMatches
}

/** A page of members' rows, the next cursor, and the total (exact when small). */
export async function searchMembers(db: Db, tenantId: string, input: unknown) {
  const query = parse(MemberListQuery, input)
  const filters = filtersOf(query)
  const descending = query.sort.startsWith('-')
  const sort = query.sort.replace('-', '') as q.SortField
  const after = query.cursor ? decode(query.cursor, query.sort) : undefined
  // The planner's estimate first (no rows read): counting 10,000 matches of a million-member
  // tenant would cost more than the page, so only an estimate that small is checked by
  // counting; and it tells the page query whether to walk the sort index or sort the matches.
  const { rows: estimate, cost } = await q.planMembers(db, tenantId, filters)
  const text = query.q?.toLowerCase() ?? ''
  let sortedCount: number | undefined
  const rows =
    sort === 'name' && (await walkPrefixes(db, tenantId, filters, text, estimate, query.limit))
      ? await q.listPrefixPage(db, tenantId, {
          text,
          escaped: filters.prefix!,
          filters,
          descending,
          limit: query.limit + 1,
          ...(after && { after }),
        })
      : await q
          .listMemberPage(db, tenantId, {
            filters,
            sort,
            descending,
            limit: query.limit + 1,
            // Broad substring matches are dense: walking the sort index meets a page of them soon.
            sortAfterMatching: filters.prefix !== undefined || estimate <= EXACT_COUNT_UP_TO,
            ...(after && { after }),
          })
          .then((page) => ((sortedCount = page.matches), page.rows))
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  const nextCursor =
    rows.length > query.limit && last
      ? encode(query.sort, { key: last.sort_key, id: last.sort_id })
      : null
  // A first page found by sorting its matches has counted them already (count(*) over ()).
  const counted =
    sortedCount === undefined && estimate <= EXACT_COUNT_UP_TO && cost <= EXACT_COUNT_COST
  const exact =
    sortedCount ??
    (counted ? await q.countMembersUpTo(db, tenantId, filters, EXACT_COUNT_UP_TO) : undefined)
  // Counted past the cap: more than it, whatever the estimate said. Not counted: the estimate.
  const total = exact ?? (counted ? Math.max(EXACT_COUNT_UP_TO + 1, estimate) : estimate)
  return { rows: page, nextCursor, total, totalIsEstimate: exact === undefined }
}
