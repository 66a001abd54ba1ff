import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.js'
import type { SpKeysTable, SpKeyState } from '../db/schema.js'

export type SpKeyRow = Selectable<SpKeysTable>

/** The directory's SP keys still valid at `now`: active first, then next, then retired. */
export function listSpKeys(db: Db, directoryId: string, now: Date): Promise<SpKeyRow[]> {
  return db
    .selectFrom('sp_keys')
    .selectAll()
    .where('directory_id', '=', directoryId)
    .where('not_after', '>', now)
    .orderBy((o) =>
      o
        .case()
        .when('state', '=', 'active')
        .then(0)
        .when('state', '=', 'next')
        .then(1)
        .else(2)
        .end(),
    )
    .orderBy('created_at', 'desc')
    .execute()
}

/**
 * Locks the directory's row, so two processes creating its first key, or two rotations, run one
 * after the other (a directory without keys has no sp_keys row to lock).
 */
export async function lockSpKeys(db: Db, directoryId: string): Promise<void> {
  await db
    .selectFrom('directories')
    .select('id')
    .where('id', '=', directoryId)
    .forUpdate()
    .executeTakeFirst()
}

export async function insertSpKey(db: Db, row: Insertable<SpKeysTable>): Promise<void> {
  await db.insertInto('sp_keys').values(row).execute()
}

export async function setSpKeyState(
  db: Db,
  directoryId: string,
  from: SpKeyState,
  to: SpKeyState,
): Promise<void> {
  await db
    .updateTable('sp_keys')
    .set({ state: to })
    .where('directory_id', '=', directoryId)
    .where('state', '=', from)
    .execute()
}

export async function deleteExpiredSpKeys(db: Db, directoryId: string, now: Date): Promise<void> {
  await db
    .deleteFrom('sp_keys')
    .where('directory_id', '=', directoryId)
    .where('not_after', '<=', now)
    .execute()
}
