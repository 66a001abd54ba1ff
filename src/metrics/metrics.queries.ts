import { sql } from 'kysely'
import type { Db } from '../db/database.js'

/**
 * Mail waiting to be sent, and how old the oldest is. The filter is the one of the partial index
 * on pending mail (outbox_due), so sent mail, however much, is not read.
 */
export async function findOutboxBacklog(db: Db, now: Date) {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => [
      eb.fn.countAll<number>().as('pending'),
      sql<Date | null>`min(created_at)`.as('oldest'),
    ])
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow()
  const oldest = row.oldest ? new Date(row.oldest) : undefined
  return {
    pending: Number(row.pending),
    oldestAgeSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0,
  }
}
