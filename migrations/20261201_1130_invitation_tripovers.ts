import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }
const seconds = (d: unknown) =>
  typeof d === 'string' && /^[1-9]\d{0,5}[smhdw]$/.test(d)
    ? Number(d.slice(0, -1)) * (UNIT_SECONDS[d.slice(-1)] ?? 0)
    : undefined

export async function up(db: Kysely<any>): Promise<void> {
  await fixWarningThresholds(db)
  // A double-submitted admin request (Idempotency-Key header) answers the first result: the
  // key's row is claimed before the work, so concurrent copies find it and do not redo it.
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'bytea', (c) => c.notNull())
    .addColumn('response', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['tenant_id', 'key'])
    .execute()
  await db.schema
    .createIndex('idempotency_keys_expiry')
    .on('idempotency_keys')
    .column('expires_at')
    .execute()
  // Where the store's home page opens an app (its registration's launch URL).
  await db.schema.alterTable('apps').addColumn('launch_url', 'text').execute()
}

export async function fixWarningThresholds(db: Kysely<any>): Promise<void> {
  // Warning thresholds are now validated against the invitation's lifetime (a fresh invitation
  // is never yellow on the day it is sent). Stored settings that break the rule (the old
  // defaults, 7d/7d, did) would make their tenant unreadable: the yellow warning moves to the
  // latest start allowed, in hours, and the red one follows it when it came first.
  const tenants = await db.selectFrom('tenants').select(['id', 'settings']).execute()
  for (const { id, settings } of tenants) {
    const ttl = seconds(settings?.invitationTtl)
    const yellow = seconds(settings?.warnings?.yellow)
    const red = seconds(settings?.warnings?.red)
    if (ttl === undefined || yellow === undefined || red === undefined) continue
    const latest = Math.floor((ttl - Math.min(86_400, ttl / 2)) / 60) * 60
    if (yellow <= latest || latest < 60) continue
    const written = latest % 3_600 === 0 ? `${latest / 3_600}h` : `${latest / 60}m`
    const warnings = { yellow: written, red: red > latest ? written : settings.warnings.red }
    await sql`update tenants set settings = jsonb_set(settings, '{warnings}', ${JSON.stringify(warnings)}::jsonb) where id = ${id}`.execute(
      db,
    )
  }
}
