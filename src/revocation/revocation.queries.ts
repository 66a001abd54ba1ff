import { sql } from 'kysely'
import type { Db } from '../db/database.js'

export type EventRow = { xmin: string; id: string | null; tx: string | null; key: string | null }

/** The oldest transaction still running: every one below it has ended (committed or not). */
export async function snapshotXmin(db: Db): Promise<string> {
  const { rows } = await sql<{
    xmin: string
  }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(db)
  return rows[0]!.xmin
}

/**
 * In one statement, so in one snapshot: its xmin (on every row, and alone when there is no event)
 * and the events of the transactions at or above `from`, the previous snapshot's xmin.
 */
export async function eventsSince(db: Db, from: bigint): Promise<EventRow[]> {
  const { rows } = await sql<EventRow>`
    select s.xmin::text as xmin, e.id::text as id, e.tx::text as tx, e.key
    from (select pg_snapshot_xmin(pg_current_snapshot()) as xmin) s
    left join revocation_events e on e.tx >= ${from.toString()}::xid8
    order by e.id`.execute(db)
  return rows
}

export async function pruneEvents(db: Db, retention: string): Promise<void> {
  await sql`delete from revocation_events where created_at < now() - ${retention}::interval`.execute(
    db,
  )
}
