import { type Kysely, sql } from 'kysely'

// Frozen in time: imports nothing from src/ and uses Kysely<any> on purpose.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }
const seconds = (d: unknown) =>
  typeof d === 'string' && /^[1-9]\d{0,5}[smhdw]$/.test(d)
    ? Number(d.slice(0, -1)) * (UNIT_SECONDS[d.slice(-1)] ?? 0)
    : undefined

export async function up(db: Kysely<any>): Promise<void> {
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
