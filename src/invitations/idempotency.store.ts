import type { Db } from '../db/database.js'

export type Answer = { status: number; body: unknown }
type Scope = { tenantId: string; key: string }

/** Inserts the key, or takes over an expired row of it; false when a live row holds it. */
export async function claimKey(db: Db, scope: Scope, hash: Uint8Array, expiresAt: Date, now: Date) {
  const row = await db
    .insertInto('idempotency_keys')
    .values({
      tenant_id: scope.tenantId,
      key: scope.key,
      request_hash: hash,
      response: null,
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'key'])
        .doUpdateSet({ request_hash: hash, response: null, expires_at: expiresAt })
        .where('idempotency_keys.expires_at', '<=', now),
    )
    .returning('key')
    .executeTakeFirst()
  return row !== undefined
}

export function findKey(db: Db, scope: Scope) {
  return db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response'])
    .where('tenant_id', '=', scope.tenantId)
    .where('key', '=', scope.key)
    .executeTakeFirst()
}

export async function saveAnswer(db: Db, scope: Scope, answer: Answer): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response: JSON.stringify(answer) })
    .where('tenant_id', '=', scope.tenantId)
    .where('key', '=', scope.key)
    .execute()
}

/** Frees the key of a request that failed (never one that has its answer). */
export async function releaseKey(db: Db, scope: Scope): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('tenant_id', '=', scope.tenantId)
    .where('key', '=', scope.key)
    .where('response', 'is', null)
    .execute()
}

export async function deleteExpiredIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
