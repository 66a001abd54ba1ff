import { sql, type Selectable } from 'kysely'
import type { Db } from '../db/database.js'
import type { ImportsTable } from '../db/schema.js'

// The import's tables, and the set-based writes a chunk makes (a few statements per 1,000
// rows, never one per row). Every statement carries the tenant id.

export type ImportRecord = Selectable<ImportsTable>
const asJson = (v: unknown) => JSON.stringify(v)

export const insertImport = (
  db: Db,
  row: { tenant_id: string; file_name: string | null; actor: unknown },
) =>
  db
    .insertInto('imports')
    .values({ ...row, actor: asJson(row.actor) })
    .returningAll()
    .executeTakeFirstOrThrow()

export async function insertStagedRows(
  db: Db,
  rows: {
    tenant_id: string
    import_id: string
    line: number
    email: string | null
    email_key: string | null
    data: unknown
    status: 'pending' | 'done'
    outcome: string | null
    reason: string | null
  }[],
) {
  if (!rows.length) return
  // One statement per batch; jsonb_to_recordset keeps the parameter count at one.
  await sql`insert into import_rows (tenant_id, import_id, line, email, email_key, data, status, outcome, reason)
    select tenant_id, import_id, line, email, email_key, data, status, outcome, reason
    from jsonb_to_recordset(${asJson(rows)}::jsonb) as r(tenant_id uuid, import_id uuid,
      line int, email text, email_key text, data jsonb, status text, outcome text, reason text)`.execute(
    db,
  )
}

export const queueImport = (
  db: Db,
  tenantId: string,
  id: string,
  set: { columns: unknown; warnings: string[]; total: number; done: number },
) =>
  db
    .updateTable('imports')
    .set({
      state: 'queued',
      columns: asJson(set.columns),
      warnings: asJson(set.warnings),
      total_rows: set.total,
      done_rows: set.done,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute()

export const deleteImport = (db: Db, tenantId: string, id: string) =>
  db.deleteFrom('imports').where('tenant_id', '=', tenantId).where('id', '=', id).execute()

export const findImport = (db: Db, tenantId: string, id: string) =>
  db
    .selectFrom('imports')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst()

export const listImports = (db: Db, tenantId: string, limit: number) =>
  db
    .selectFrom('imports')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()

export async function countOutcomes(db: Db, tenantId: string, importId: string) {
  const rows = await db
    .selectFrom('import_rows')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('import_id', '=', importId)
    .where('status', '=', 'done')
    .groupBy('outcome')
    .execute()
  return Object.fromEntries(rows.map((r) => [r.outcome ?? 'unknown', Number(r.n)]))
}

/** The report, a page at a time in line order (keyset: the caller streams it). */
export const reportPage = (
  db: Db,
  tenantId: string,
  importId: string,
  afterLine: number,
  limit: number,
) =>
  db
    .selectFrom('import_rows')
    .select(['line', 'email', 'outcome', 'reason', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('import_id', '=', importId)
    .where('line', '>', afterLine)
    .orderBy('line')
    .limit(limit)
    .execute()

/**
 * Takes one import that is queued, or running under a lease that ran out (its runner died):
 * SKIP LOCKED, so two runners never take the same one at once.
 */
export async function claimImport(db: Db, owner: string, now: Date, leaseMs: number) {
  const until = new Date(now.getTime() + leaseMs)
  const result = await sql<ImportRecord>`update imports set state = 'running',
      lease_owner = ${owner}, lease_until = ${until}
    where id = (select id from imports
      where state in ('queued', 'running') and (lease_until is null or lease_until < ${now})
      order by created_at limit 1 for update skip locked)
    returning *`.execute(db)
  return result.rows[0]
}

/** The runner stops (its process does): its lease ends now, so another runner takes over at once. */
export async function releaseImport(db: Db, id: string, owner: string): Promise<void> {
  await db
    .updateTable('imports')
    .set({ lease_until: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute()
}

export type PendingRow = {
  line: number
  email: string | null
  email_key: string | null
  data: Record<string, unknown> | null
  first_line: number | null
}

/** The next pending rows, locked: another runner skips them, a crash releases them. */
export async function lockPendingRows(
  db: Db,
  tenantId: string,
  importId: string,
  limit: number,
  line?: number,
) {
  const only = line === undefined ? sql`` : sql`and r.line = ${line}`
  const result = await sql<PendingRow>`select r.line, r.email, r.email_key, r.data,
      (select min(e.line) from import_rows e where e.import_id = r.import_id
        and e.email_key = r.email_key and e.line < r.line) as first_line
    from import_rows r
    where r.tenant_id = ${tenantId} and r.import_id = ${importId} and r.status = 'pending' ${only}
    order by r.line limit ${limit} for update of r skip locked`.execute(db)
  return result.rows
}

/** The chunk's outcomes; false when another runner finished these rows first. */
export async function markRowsDone(
  db: Db,
  tenantId: string,
  importId: string,
  outcomes: { line: number; outcome: string; reason: string | null }[],
) {
  const result = await sql`update import_rows r set status = 'done', outcome = o.outcome,
      reason = o.reason
    from jsonb_to_recordset(${asJson(outcomes)}::jsonb) as o(line int, outcome text, reason text)
    where r.tenant_id = ${tenantId} and r.import_id = ${importId} and r.line = o.line
      and r.status = 'pending'`.execute(db)
  return Number(result.numAffectedRows ?? 0) === outcomes.length
}

/** The lease held and extended, the progress counted: false when the lease went to another. */
export async function advanceImport(
  db: Db,
  input: { tenantId: string; id: string; owner: string; rows: number; until: Date },
) {
  const result = await db
    .updateTable('imports')
    .set((eb) => ({ done_rows: eb('done_rows', '+', input.rows), lease_until: input.until }))
    .where('tenant_id', '=', input.tenantId)
    .where('id', '=', input.id)
    .where('lease_owner', '=', input.owner)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export async function finishImport(
  db: Db,
  input: { tenantId: string; id: string; owner: string; now: Date; error?: string },
) {
  const result = await db
    .updateTable('imports')
    .set({
      state: input.error ? 'failed' : 'done',
      error: input.error ?? null,
      finished_at: input.now,
      lease_owner: null,
      lease_until: null,
    })
    .where('tenant_id', '=', input.tenantId)
    .where('id', '=', input.id)
    .where('lease_owner', '=', input.owner)
    .where('state', '=', 'running')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

export const countPendingRows = async (db: Db, tenantId: string, importId: string) =>
  Number(
    (
      await db
        .selectFrom('import_rows')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('import_id', '=', importId)
        .where('status', '=', 'pending')
        .executeTakeFirstOrThrow()
    ).n,
  )

/** The tenant's apps that take an app column: their names and the product a grant adds. */
export const listAppColumns = (db: Db, tenantId: string) =>
  db
    .selectFrom('apps')
    .select(['name', sql<string>`coalesce(product, client_id)`.as('product')])
    .where('tenant_id', '=', tenantId)
    .where('type', '!=', 'machine')
    .orderBy('created_at')
    .orderBy('name')
    .execute()

export type Person = {
  email_key: string
  user_id: string
  first_name: string | null
  last_name: string | null
  phone: string | null
  job_title: string | null
  external_id: string | null
  locale: string | null
  membership_id: string | null
  status: 'invited' | 'active' | 'disabled' | null
  kind: 'member' | 'guest' | null
  role: string | null
  groups: string[] | null
  products: string[] | null
  organization: string | null
  is_pending: boolean
}

/** Who the chunk's addresses already are in the directory, and in this tenant. */
export async function findPeople(
  db: Db,
  input: { tenantId: string; directoryId: string; keys: string[]; now: Date },
) {
  if (!input.keys.length) return []
  const result = await sql<Person>`select u.email_key, u.id as user_id, u.first_name,
      u.last_name, u.phone, u.job_title, u.external_id, u.locale, m.id as membership_id,
      m.status, m.kind, m.role, m.groups, m.products, m.organization,
      exists (select 1 from invitations i where i.tenant_id = ${input.tenantId}
        and i.membership_id = m.id and i.status = 'pending' and i.expires_at > ${input.now})
        as is_pending
    from users u
    left join memberships m on m.tenant_id = ${input.tenantId} and m.user_id = u.id
    where u.directory_id = ${input.directoryId}
      and u.email_key = any(${sql.val(input.keys)}::text[])`.execute(db)
  return result.rows
}

export const countTenantsOfDirectory = async (db: Db, directoryId: string) =>
  Number(
    (
      await db
        .selectFrom('tenant_directories')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('directory_id', '=', directoryId)
        .executeTakeFirstOrThrow()
    ).n,
  )

export type NewUserRow = {
  email: string
  email_key: string
  first_name: string | null
  last_name: string | null
  phone: string | null
  job_title: string | null
  external_id: string | null
  locale: string | null
}

/** New identities; an address someone wrote meanwhile is left out (the caller falls back). */
export async function insertUsers(db: Db, directoryId: string, rows: NewUserRow[]) {
  if (!rows.length) return []
  const result = await sql<{ id: string; email_key: string }>`insert into users
      (directory_id, email, email_key, first_name, last_name, phone, job_title, external_id, locale)
    select ${directoryId}::uuid, email, email_key, first_name, last_name, phone, job_title,
      external_id, locale
    from jsonb_to_recordset(${asJson(rows)}::jsonb) as r(email text, email_key text,
      first_name text, last_name text, phone text, job_title text, external_id text, locale text)
    on conflict (directory_id, email_key) do nothing
    returning id, email_key`.execute(db)
  return result.rows
}

export type NewMembershipRow = {
  user_id: string
  kind: string
  role: string
  groups: string[]
  products: string[]
  organization: string | null
  status: 'invited' | 'active'
}

export async function insertMemberships(
  db: Db,
  input: { tenantId: string; directoryId: string; now: Date },
  rows: NewMembershipRow[],
) {
  if (!rows.length) return []
  const result = await sql<{ id: string; user_id: string }>`insert into memberships
      (tenant_id, directory_id, user_id, kind, role, groups, products, organization, status,
       activated_at)
    select ${input.tenantId}::uuid, ${input.directoryId}::uuid, user_id, kind, role, groups,
      products, organization, status,
      case when status = 'active' then ${input.now}::timestamptz end
    from jsonb_to_recordset(${asJson(rows)}::jsonb) as r(user_id uuid, kind text, role text,
      groups jsonb, products jsonb, organization text, status text)
    on conflict (tenant_id, user_id) do nothing
    returning id, user_id`.execute(db)
  return result.rows
}

export async function insertCredentials(
  db: Db,
  directoryId: string,
  policy: unknown,
  rows: { user_id: string; password_hash: string }[],
) {
  if (!rows.length) return
  await sql`insert into credentials (user_id, directory_id, password_hash, policy)
    select user_id, ${directoryId}::uuid, password_hash, ${asJson(policy)}::jsonb
    from jsonb_to_recordset(${asJson(rows)}::jsonb) as r(user_id uuid, password_hash text)`.execute(
    db,
  )
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

export async function insertInvitations(
  db: Db,
  input: { tenantId: string; invitedBy: string | null; expiresAt: Date },
  rows: {
    membership_id: string
    token_hash: Uint8Array
    token_sealed: Uint8Array
    locale: string
  }[],
) {
  if (!rows.length) return
  const values = rows.map((r) => ({
    membership_id: r.membership_id,
    token_hash: hex(r.token_hash),
    token_sealed: hex(r.token_sealed),
    locale: r.locale,
  }))
  await sql`insert into invitations (tenant_id, membership_id, token_hash, token_sealed, locale,
      expires_at, invited_by)
    select ${input.tenantId}::uuid, membership_id, decode(token_hash, 'hex'),
      decode(token_sealed, 'hex'), locale, ${input.expiresAt}::timestamptz, ${input.invitedBy}
    from jsonb_to_recordset(${asJson(values)}::jsonb) as r(membership_id uuid, token_hash text,
      token_sealed text, locale text)`.execute(db)
}

export type OutboxRow = {
  template: string
  locale: string
  to_address: string
  to_name: string | null
  data: Record<string, string>
  secret: Uint8Array
}

export async function insertMails(db: Db, tenantId: string, now: Date, rows: OutboxRow[]) {
  if (!rows.length) return
  const values = rows.map((r) => ({ ...r, secret: hex(r.secret) }))
  await sql`insert into outbox (tenant_id, template, locale, to_address, to_name, data, secret,
      next_attempt_at)
    select ${tenantId}::uuid, template, locale, to_address, to_name, data, decode(secret, 'hex'),
      ${now}::timestamptz
    from jsonb_to_recordset(${asJson(values)}::jsonb) as r(template text, locale text,
      to_address text, to_name text, data jsonb, secret text)`.execute(db)
}

export async function updateUsers(
  db: Db,
  directoryId: string,
  now: Date,
  rows: ({ id: string } & Omit<NewUserRow, 'email' | 'email_key'>)[],
) {
  if (!rows.length) return
  await sql`update users u set first_name = r.first_name, last_name = r.last_name,
      phone = r.phone, job_title = r.job_title, external_id = r.external_id, locale = r.locale,
      updated_at = ${now}
    from jsonb_to_recordset(${asJson(rows)}::jsonb) as r(id uuid, first_name text,
      last_name text, phone text, job_title text, external_id text, locale text)
    where u.directory_id = ${directoryId} and u.id = r.id`.execute(db)
}

export async function updateMemberships(
  db: Db,
  tenantId: string,
  now: Date,
  rows: {
    id: string
    kind: string
    role: string
    groups: string[]
    products: string[]
    organization: string | null
  }[],
) {
  if (!rows.length) return
  await sql`update memberships m set kind = r.kind, role = r.role, groups = r.groups,
      products = r.products, organization = r.organization, updated_at = ${now}
    from jsonb_to_recordset(${asJson(rows)}::jsonb) as r(id uuid, kind text, role text,
      groups jsonb, products jsonb, organization text)
    where m.tenant_id = ${tenantId} and m.id = r.id`.execute(db)
}

/** A savepoint around one row's slow path: its failure undoes its writes, not the chunk's. */
export const savepoint = {
  set: (db: Db) => sql`savepoint import_row`.execute(db),
  release: (db: Db) => sql`release savepoint import_row`.execute(db),
  rollback: (db: Db) => sql`rollback to savepoint import_row`.execute(db),
}

/**
 * Fresh planner statistics for the tables an import grows. A large import outruns autovacuum's
 * analyze: on statistics taken when memberships held a few hundred rows, the member-search
 * trigger's join (20261201_1200_member_search) is planned as a nested loop over a sequential
 * scan, and each chunk's insert then costs seconds (measured: 6 s per 1,000 rows at 40,000).
 */
export async function refreshStatistics(db: Db) {
  await sql`analyze users, memberships, member_search_prefixes, invitations, outbox, import_rows`.execute(
    db,
  )
}
